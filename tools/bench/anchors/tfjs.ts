/**
 * TF.js anchor: `optimizer.applyGradients(grads)` on the "cpu" (plain JS) or "wasm" (XNNPACK) backend of
 * @tensorflow/tfjs-core 4.x, with variables and gradient tensors made once per case. Never throws: if the
 * packages or the backend cannot be loaded the result is `{ available: false, reason }`.
 *
 * The .wasm binaries are read from the installed @tensorflow/tfjs-backend-wasm package; nothing is fetched.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { measure, randn, waitForQuiet } from "../table.ts";
import {
  type AnchorResult,
  HYPERPARAMS,
  LAYOUTS,
  type Layout,
  MANY_TENSORS,
  OPTIMIZERS,
  type OptimizerName,
  QUICK_SIZES,
  type Row,
  SIZES,
  sizeLabel,
} from "../types.ts";

type Tf = typeof import("@tensorflow/tfjs-core");
type Optimizer = import("@tensorflow/tfjs-core").Optimizer;
type Variable = import("@tensorflow/tfjs-core").Variable;
type NamedTensorMap = import("@tensorflow/tfjs-core").NamedTensorMap;
type TfjsBackend = "cpu" | "wasm";

export interface TfjsAnchorOptions {
  backend: TfjsBackend;
  /** Default: 1e5, 1e6, 1e7 (1e5 and 1e6 with `quick`). */
  sizes?: number[];
  /** Default: both. */
  layouts?: Layout[];
  quick?: boolean;
  /** Default: all five (the "adamw" rows are always skipped: TF.js has no AdamW). */
  optimizers?: OptimizerName[];
  /** Timed runs per case (default 5). */
  runs?: number;
  /** Seconds the timed runs of one case may take before steps, then runs (to 3), are cut (default 4). */
  budgetSeconds?: number;
  /** A case whose first step takes longer than this is skipped (default 20). */
  maxStepSeconds?: number;
  /** Cases not to run at all, with the reason recorded in their row. */
  skip?: { n: number; layout: Layout; reason: string }[];
  /** Seconds in all to wait, before cases, for other processes to calm down (default 60). */
  maxWaitSeconds?: number;
  /** Called with a line per finished case. */
  onProgress?: (line: string) => void;
}

export interface TfjsAnchorResult extends AnchorResult {
  backend: TfjsBackend;
  /** tfjs-core version (and the backend package's). */
  version?: string;
  /** wasm backend: XNNPACK threads in use and whether the SIMD binary was loaded. */
  threads?: number;
  simd?: boolean;
}

const SEED = 1234;

/** TF.js's counterparts of the benchmark's optimizers; AdamW has none. */
const MAKERS: Record<Exclude<OptimizerName, "adamw">, (tf: Tf) => Optimizer> = {
  adam: (tf) => tf.train.adam(1e-3),
  "sgd-momentum": (tf) => tf.train.momentum(0.01, 0.9),
  rmsprop: (tf) => tf.train.rmsprop(0.01),
  adagrad: (tf) => tf.train.adagrad(0.01),
};

const NO_ADAMW = "n/a: TF.js has no AdamW (tf.train has no decoupled weight decay)";

let wasmPathsSet = false;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Imports tfjs-core and the backend, points the wasm backend at its packaged binaries, selects it. */
async function loadBackend(backend: TfjsBackend): Promise<{ tf: Tf; info: Partial<TfjsAnchorResult> }> {
  const tf: Tf = await import("@tensorflow/tfjs-core");
  // Silences the "install tfjs-node" banner; in tfjs-core 4.x PROD only switches warnings off.
  tf.enableProdMode();
  const info: Partial<TfjsAnchorResult> = {};
  if (backend === "cpu") {
    const cpu = await import("@tensorflow/tfjs-backend-cpu");
    info.version = `tfjs-core ${tf.version_core}, tfjs-backend-cpu ${cpu.version_cpu}`;
  } else {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      const pkg = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
      // A plain directory path: in Node, Emscripten reads the .wasm from disk.
      wasm.setWasmPaths(`${join(dirname(pkg), "dist")}/`);
      wasmPathsSet = true;
    }
    info.version = `tfjs-core ${tf.version_core}, tfjs-backend-wasm ${wasm.version_wasm}`;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`);
  await tf.ready();
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    info.threads = wasm.getThreadsCount();
    info.simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
  }
  return { tf, info };
}

/** Random-normal variables and fixed gradients: one tensor of n, or MANY_TENSORS of n / MANY_TENSORS. */
function makeCase(tf: Tf, n: number, layout: Layout): { vars: Variable[]; grads: NamedTensorMap } {
  const count = layout === "one" ? 1 : MANY_TENSORS;
  const size = n / count;
  const vars: Variable[] = [];
  const grads: NamedTensorMap = {};
  for (let i = 0; i < count; i++) {
    const init = tf.tensor1d(randn(size, SEED + 2 * i));
    const v = tf.variable(init);
    init.dispose();
    vars.push(v);
    grads[v.name] = tf.tensor1d(randn(size, SEED + 2 * i + 1));
  }
  return { vars, grads };
}

export async function tfjsAnchor(opts: TfjsAnchorOptions): Promise<TfjsAnchorResult> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const { backend } = opts;
  let loaded: Awaited<ReturnType<typeof loadBackend>>;
  try {
    loaded = await loadBackend(backend);
  } catch (error) {
    return { available: false, backend, reason: errorText(error), rows: [], seconds: seconds() };
  }
  const { tf, info } = loaded;
  const progress = opts.onProgress ?? (() => {});
  const sizes = opts.sizes ?? [...(opts.quick ? QUICK_SIZES : SIZES)];
  const layouts = opts.layouts ?? [...LAYOUTS];
  const optimizers = opts.optimizers ?? [...OPTIMIZERS];
  const budgetSeconds = opts.budgetSeconds ?? 4;
  const maxStepSeconds = opts.maxStepSeconds ?? 20;
  const notes: string[] = [
    `${info.version}; backend "${backend}"` +
      (backend === "wasm"
        ? `, ${info.threads} thread(s), SIMD ${info.simd ? "on" : "off"} ` +
          "(tfjs turns wasm multithreading off in Node)"
        : ""),
    `adamw: ${NO_ADAMW}`,
    `lr and momentum as PyTorch's (${HYPERPARAMS.adam} for adam; ${HYPERPARAMS["sgd-momentum"]}; ` +
      `${HYPERPARAMS.rmsprop} for rmsprop and adagrad); other tf.train defaults differ, with the same work ` +
      "per step: eps 1e-7 (adam, rmsprop), rmsprop decay 0.9 (PyTorch alpha 0.99), " +
      "adagrad initial accumulator 0.1",
  ];
  const rows: Row[] = [];
  const baseTensors = tf.memory().numTensors;
  const quiet = { left: opts.maxWaitSeconds ?? 60 };
  let waited = 0;
  /** Tensors optimizer.dispose() left behind, and in how many of the optimizers made, per optimizer. */
  const disposeLeaks = new Map<OptimizerName, { tensors: number; optimizers: number }>();

  for (const n of sizes) {
    for (const layout of layouts) {
      const skipped = opts.skip?.find((s) => s.n === n && s.layout === layout);
      const names = optimizers.filter((o) => o !== "adamw");
      if (optimizers.includes("adamw")) {
        rows.push({ optimizer: "adamw", n, layout, mparams: null, runs: [], skipped: NO_ADAMW });
      }
      if (skipped) {
        for (const optimizer of names) {
          rows.push({ optimizer, n, layout, mparams: null, runs: [], skipped: skipped.reason });
        }
        continue;
      }
      const { vars, grads } = makeCase(tf, n, layout);
      const last = vars[vars.length - 1]!;
      // Reading one element of the last variable updated forces the step to have finished.
      const sync = (): void => {
        const probe = tf.slice(last, 0, 1);
        probe.dataSync();
        probe.dispose();
      };
      for (const optimizer of names) {
        waited += await waitForQuiet(quiet);
        const tensorsBefore = tf.memory().numTensors;
        const opt = MAKERS[optimizer](tf);
        const step = (): void => {
          tf.tidy(() => {
            opt.applyGradients(grads);
          });
        };
        const t0 = performance.now();
        step();
        sync();
        const first = (performance.now() - t0) / 1000;
        const row: Row = { optimizer, n, layout, mparams: null, runs: [] };
        if (first > maxStepSeconds) {
          row.skipped = `first step took ${first.toFixed(1)} s (> ${maxStepSeconds} s)`;
        } else {
          // The first step above (which also creates the optimizer's state) is warm-up enough for slow
          // cases; faster ones get at least one more warm-up step and 0.1 s.
          const slow = first > 1;
          const m = measure(step, {
            n,
            runs: opts.runs ?? 5,
            budgetSeconds,
            sync,
            ...(slow ? { warmup: 0, warmupSeconds: 0, expectedStepSeconds: first } : { warmup: 1 }),
          });
          // Tensors must not pile up from one step to the next.
          const before = tf.memory().numTensors;
          step();
          step();
          const growth = (tf.memory().numTensors - before) / 2;
          row.mparams = m.median;
          row.runs = m.runs;
          row.steps = m.steps;
          row.othersCores = m.othersCores.map((c) => c ?? null);
          const qualifiers = [m.note, growth !== 0 ? `LEAK: ${growth} tensors per step` : undefined];
          const note = qualifiers.filter((q) => q !== undefined).join("; ");
          if (note) row.note = note;
        }
        opt.dispose();
        const left = tf.memory().numTensors - tensorsBefore;
        if (left !== 0) {
          const leak = disposeLeaks.get(optimizer) ?? { tensors: 0, optimizers: 0 };
          disposeLeaks.set(optimizer, { tensors: leak.tensors + left, optimizers: leak.optimizers + 1 });
        }
        rows.push(row);
        progress(
          `tfjs-${backend} ${optimizer.padStart(12)} n=${sizeLabel(n)} ${layout.padStart(4)}: ` +
            (row.mparams === null ? `skipped (${row.skipped})` : `${row.mparams.toFixed(1)} M params/s`) +
            (row.note ? ` [${row.note}]` : ""),
        );
      }
      for (const v of vars) v.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }
  if (waited > 0) notes.push(`waited ${waited.toFixed(1)} s for other processes to calm down`);
  for (const [optimizer, leak] of disposeLeaks) {
    notes.push(
      `${optimizer}: optimizer.dispose() left ${leak.tensors} tensor(s) behind ` +
        `(${leak.optimizers} optimizers)` +
        (optimizer === "sgd-momentum"
          ? ": a TF.js bug, MomentumOptimizer.dispose does not call SGDOptimizer.dispose, so its -lr " +
            "scalar stays; not a per-step leak"
          : ""),
    );
  }
  const leftover = tf.memory().numTensors - baseTensors;
  if (leftover !== 0) notes.push(`${leftover} tensor(s) left after disposing everything`);
  return { available: true, backend, ...info, rows, notes, seconds: seconds() };
}
