/**
 * Dispatch: recognizes the chains the kernels can run in one pass — an optimizer alias, optionally
 * preceded by `clipByGlobalNorm` — and runs them with the JS kernels or the WASM SIMD kernels
 * (optionally on a thread pool). The chain's own state objects are kept (their buffers are moved
 * into flat storage mirroring the params' layout and replaced by views), and every `count` in them
 * advances exactly as the reference would, so `stateDict()`, resume, schedules and masks behave the
 * same whichever kernel runs.
 */
import { globalNorm } from "../clipping/norms.ts";
import { valueAt } from "../hyper.ts";
import type { FusionSpec } from "../optimizers/fusion.ts";
import type { AnyTransformation } from "../transform.ts";
import { type FloatArray, resolveMask, type Tree } from "../tree.ts";
import {
  type AdagradScalars,
  type AdamScalars,
  adagradJs,
  adamJs,
  identity,
  type RmspropScalars,
  type Round,
  rmspropJs,
  type SgdScalars,
  sgdJs,
} from "./js-kernels.ts";
import { type Layout, mirror, spanOf } from "./layout.ts";
import { kernelsFor, type ThreadPool, wasmAvailable } from "./wasm-kernels.ts";

export type KernelName = "reference" | "js" | "wasm";

export interface Fused {
  readonly kernel: "js" | "wasm";
  readonly threads: number;
  /** One update from the gradient buffer `work`. */
  step(): void;
}

interface ClipSpec {
  kind: "clip-global-norm";
  maxNorm: number;
  normType: number;
  strict: boolean;
}

const BUFFERS = [
  "expAvg",
  "expAvgSq",
  "maxExpAvgSq",
  "momentumBuffer",
  "squareAvg",
  "gradAvg",
  "sum",
] as const;
type BufferName = (typeof BUFFERS)[number];

interface Plan {
  spec: FusionSpec;
  clip: (ClipSpec & { state: { totalNorm: number } }) | undefined;
  counts: { count: number }[];
  trace: { count: number } | undefined;
  buffers: Partial<Record<BufferName, FloatArray[]>>;
}

/** Finds what to fuse, or says why not. */
function plan(tx: AnyTransformation, state: unknown): Plan | string {
  let alias = tx;
  let aliasState = state;
  let clip: Plan["clip"];
  const parts = tx.parts;
  if (
    parts &&
    parts.length === 2 &&
    (parts[0]!.fusion as ClipSpec | undefined)?.kind === "clip-global-norm"
  ) {
    alias = parts[1]!;
    aliasState = (state as unknown[])[1];
    clip = { ...(parts[0]!.fusion as ClipSpec), state: (state as { totalNorm: number }[])[0]! };
  }
  const spec = alias.fusion as FusionSpec | undefined;
  if (!spec)
    return "the transform is not an optimizer alias (optionally after clipByGlobalNorm) that the kernels know";
  const counts: { count: number }[] = [];
  const buffers: Plan["buffers"] = {};
  let trace: Plan["trace"];
  for (const s of aliasState as unknown[]) {
    if (s === null || typeof s !== "object") continue;
    const o = s as Record<string, unknown>;
    if (typeof o.count === "number") counts.push(o as { count: number });
    if ("momentumBuffer" in o) trace = o as { count: number };
    for (const name of BUFFERS) if (Array.isArray(o[name])) buffers[name] = o[name] as FloatArray[];
  }
  return { spec, clip, counts, trace, buffers };
}

/** Runs of consecutive leaves with the same decay mask: [from, to, decayed]. */
function runs(mask: boolean[]): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  mask.forEach((on, i) => {
    const last = out[out.length - 1];
    if (last && last[2] === on) last[1] = i + 1;
    else out.push([i, i + 1, on]);
  });
  return out;
}

/**
 * Prepares a fused step, or returns why it cannot be fused with this kernel. `work` is the gradient
 * buffer (mirroring the params' layout when they are packed); `choice` "auto" picks WASM when the
 * params are float32 packed by `packTree`, else JS.
 */
export function fuse(
  tx: AnyTransformation,
  state: unknown,
  params: Tree,
  paramLeaves: FloatArray[],
  work: { flat: FloatArray | undefined; leaves: FloatArray[] },
  layout: Layout,
  choice: "auto" | "js" | "wasm",
  pool: ThreadPool | undefined,
): Fused | string {
  const planned = plan(tx, state);
  if (typeof planned === "string") return planned;
  const p: Plan = planned;
  const wasmOk = layout.arena !== undefined && layout.dtype === "float32" && wasmAvailable();
  if (choice === "wasm" && !wasmOk) {
    return layout.arena === undefined
      ? "the wasm kernels need params packed into one arena by packTree"
      : layout.dtype !== "float32"
        ? "the wasm kernels are float32 only"
        : "this runtime has no WebAssembly SIMD with shared memory";
  }
  if (pool && choice === "js") return "threads need the wasm kernels";
  if (pool && !layout.arena?.shared) return "threads need params packed into a shared arena";
  const kernel = choice === "js" || !wasmOk ? "js" : "wasm";

  // Move the state buffers into flat storage laid out like the params, leaving views in the state.
  const flats: Partial<Record<BufferName, FloatArray>> = {};
  for (const name of BUFFERS) {
    const list = p.buffers[name];
    if (!list) continue;
    const m = mirror(layout, layout.arena);
    list.forEach((b, i) => {
      m.leaves[i]!.set(b);
      list[i] = m.leaves[i]!;
    });
    flats[name] = m.flat;
  }
  const decayed = resolveMask(p.spec.mask, params);
  const groups = runs(decayed);
  const round: Round = layout.dtype === "float32" ? Math.fround : identity;
  const packed = layout.arena !== undefined && work.flat !== undefined;
  const spans = packed ? { p: spanOf(layout), g: work.flat! } : undefined;
  const { spec } = p;
  const owner = spec.owner;

  // Scalars are evaluated (and range-checked) before anything is written.
  const base = { coef: 1, negate: spec.maximize, l2: 0, wd: 0, lr: 0 };
  const scalars = {
    ...base,
    b1: 0,
    b2: 0,
    bc1: 1,
    bc2Sqrt: 1,
    eps: 0,
    amsgrad: false,
    hasMomentum: false,
    mu: 0,
    keep: 1,
    first: false,
    nesterov: false,
    alpha: 0,
    centered: false,
  };
  const decays = { l2: 0, wd: 0 };

  function prepare(): void {
    const count = p.counts[0]?.count ?? 0;
    scalars.lr = valueAt(owner, "lr", spec.lr, count, "[0, inf)");
    decays.l2 = valueAt(owner, "weightDecay", spec.l2, count, "[0, inf)");
    decays.wd = valueAt(owner, "weightDecay", spec.decoupled, count, "[0, inf)");
    if (spec.kind === "adam") {
      const b1 = valueAt(owner, "betas[0]", spec.beta1, count, "[0, 1)");
      const t = count + 1;
      Object.assign(scalars, {
        b1,
        b2: spec.beta2,
        bc1: 1 - b1 ** t,
        bc2Sqrt: Math.sqrt(1 - spec.beta2 ** t),
        eps: spec.eps,
        amsgrad: spec.amsgrad,
      });
    } else if (spec.kind === "sgd" || spec.kind === "rmsprop") {
      const hasMomentum = p.trace !== undefined;
      const mu = hasMomentum ? valueAt(owner, "momentum", spec.momentum, p.trace!.count, "[0, 1]") : 0;
      const dampening = spec.kind === "sgd" ? spec.dampening : 0;
      Object.assign(scalars, {
        hasMomentum,
        mu,
        keep: 1 - dampening,
        first: p.trace?.count === 0,
        nesterov: spec.kind === "sgd" && spec.nesterov,
      });
      if (spec.kind === "rmsprop")
        Object.assign(scalars, { alpha: spec.alpha, eps: spec.eps, centered: spec.centered });
    } else {
      scalars.eps = spec.eps;
    }
    scalars.coef = 1;
    if (p.clip) {
      const norm = kernel === "wasm" ? wasmNorm() : globalNorm(work.leaves, p.clip.normType);
      if (p.clip.strict && !Number.isFinite(norm)) {
        throw new RangeError(
          `clipByGlobalNorm: the total ${p.clip.normType}-norm of the gradients is ${norm}; nothing was changed`,
        );
      }
      scalars.coef = Math.min((1 / (norm + 1e-6)) * p.clip.maxNorm, 1);
      p.clip.state.totalNorm = norm;
    }
  }

  const b = (name: BufferName) => p.buffers[name];
  const f = (name: BufferName) => flats[name];

  /** JS: one call per run when packed, else one per leaf. */
  function stepJs(): void {
    for (const [from, to, on] of groups) {
      scalars.l2 = on ? decays.l2 : 0;
      scalars.wd = on ? decays.wd : 0;
      if (spans) {
        const lo = layout.offsets[from]!;
        const hi = to < layout.offsets.length ? layout.offsets[to]! : layout.total;
        call(spans.p, spans.g, (n) => f(n), lo, hi);
      } else {
        for (let i = from; i < to; i++)
          call(paramLeaves[i]!, work.leaves[i]!, (n) => b(n)?.[i], 0, paramLeaves[i]!.length);
      }
    }
  }

  function call(
    pp: FloatArray,
    g: FloatArray,
    buf: (n: BufferName) => FloatArray | undefined,
    lo: number,
    hi: number,
  ): void {
    switch (spec.kind) {
      case "adam":
        return adamJs(
          pp,
          g,
          buf("expAvg")!,
          buf("expAvgSq")!,
          buf("maxExpAvgSq"),
          lo,
          hi,
          scalars as AdamScalars,
          round,
        );
      case "sgd":
        return sgdJs(pp, g, buf("momentumBuffer"), lo, hi, scalars as SgdScalars, round);
      case "rmsprop":
        return rmspropJs(
          pp,
          g,
          buf("squareAvg")!,
          buf("gradAvg"),
          buf("momentumBuffer"),
          lo,
          hi,
          scalars as RmspropScalars,
          round,
        );
        break;
      case "adagrad":
        adagradJs(pp, g, buf("sum")!, lo, hi, scalars as AdagradScalars, round);
    }
  }

  // ---- WASM ----
  const memory = layout.arena?.memory;
  const threads = pool ? pool.size : 1;
  const byteOf = (name: BufferName) => f(name)?.byteOffset ?? 0;

  function wasmNorm(): number {
    const total = layout.total;
    const parts = split(0, total);
    const gBase = work.flat!.byteOffset;
    const sums = pool
      ? pool.run(
          memory!,
          "sumsq",
          parts.map(([lo, hi]) => [gBase + lo * 4, hi - lo]),
        )
      : parts.map(([lo, hi]) => kernelsFor(memory!).sumsq(gBase + lo * 4, hi - lo));
    return Math.sqrt(sums.reduce((a, s) => a + s, 0));
  }

  /** [lo, hi) cut into `threads` pieces on 4-element boundaries. */
  function split(lo: number, hi: number): [number, number][] {
    const out: [number, number][] = [];
    const per = Math.ceil((hi - lo) / threads / 4) * 4;
    for (let a = lo; a < hi; a += per) out.push([a, Math.min(a + per, hi)]);
    return out;
  }

  function wasmArgs(lo: number, hi: number): number[] {
    const at = (byte: number) => byte + lo * 4;
    const n = hi - lo;
    const common = [scalars.negate ? -scalars.coef : scalars.coef, scalars.l2, scalars.wd, -scalars.lr];
    const pB = at(layout.base);
    const gB = at(work.flat!.byteOffset);
    switch (spec.kind) {
      case "adam":
        return [
          pB,
          gB,
          at(byteOf("expAvg")),
          at(byteOf("expAvgSq")),
          at(byteOf("maxExpAvgSq")),
          n,
          ...common,
          scalars.b1,
          1 - scalars.b1,
          scalars.b2,
          1 - scalars.b2,
          1 / scalars.bc1,
          1 / scalars.bc2Sqrt,
          scalars.eps,
          scalars.amsgrad ? 1 : 0,
        ];
      case "sgd":
        return [
          pB,
          gB,
          at(byteOf("momentumBuffer")),
          n,
          ...common,
          scalars.mu,
          scalars.keep,
          scalars.hasMomentum ? 1 : 0,
          scalars.first ? 1 : 0,
          scalars.nesterov ? 1 : 0,
        ];
      case "rmsprop":
        return [
          pB,
          gB,
          at(byteOf("squareAvg")),
          at(byteOf("gradAvg")),
          at(byteOf("momentumBuffer")),
          n,
          ...common,
          scalars.alpha,
          1 - scalars.alpha,
          scalars.eps,
          scalars.mu,
          scalars.keep,
          scalars.centered ? 1 : 0,
          scalars.hasMomentum ? 1 : 0,
          scalars.first ? 1 : 0,
          0,
        ];
      case "adagrad":
        return [pB, gB, at(byteOf("sum")), n, ...common, scalars.eps];
    }
  }

  function stepWasm(): void {
    const k = kernelsFor(memory!);
    const fn = k[spec.kind] as (...a: number[]) => void;
    for (const [from, to, on] of groups) {
      scalars.l2 = on ? decays.l2 : 0;
      scalars.wd = on ? decays.wd : 0;
      const lo = layout.offsets[from]!;
      const hi = to < layout.offsets.length ? layout.offsets[to]! : layout.total;
      if (pool)
        pool.run(
          memory!,
          spec.kind,
          split(lo, hi).map(([a, z]) => wasmArgs(a, z)),
        );
      else fn(...wasmArgs(lo, hi));
    }
  }

  return {
    kernel,
    threads,
    step() {
      prepare();
      if (kernel === "wasm") stepWasm();
      else stepJs();
      for (const c of p.counts) c.count += 1;
    },
  };
}
