/**
 * Dispatch: recognizes the chains the kernels can run in one pass — an optimizer alias, optionally
 * preceded by `clipByGlobalNorm` — and runs them with the JS kernels or the WASM SIMD kernels
 * (optionally on a thread pool). The chain's own state objects are kept (their buffers are moved
 * into flat storage mirroring the params' layout and replaced by views), and every `count` in them
 * advances exactly as the reference would, so `stateDict()`, resume, schedules and masks behave the
 * same whichever kernel runs.
 */
import { globalNorm } from "../clipping/norms.js";
import type { AnyTransformation } from "../transform.js";
import { type FloatArray, resolveMask, type Tree } from "../tree.js";
import {
  type AdagradScalars,
  type AdamScalars,
  adagradJs,
  adamJs,
  type LionScalars,
  lionJs,
  type RmspropScalars,
  rmspropJs,
  type SgdScalars,
  sgdJs,
} from "./js-kernels.js";
import { type Layout, mirror, spanOf } from "./layout.js";
import { BUFFERS, type BufferName, type Plan, plan, resolveStep, stepScalars } from "./plan.js";
import { kernelsFor, type ThreadPool, wasmAvailable } from "./wasm-kernels.js";

/** Which code runs an optimizer's updates: the transform chain itself, or the fused JS or WASM SIMD kernels. */
export type KernelName = "reference" | "js" | "wasm";

export interface Fused {
  readonly kernel: "js" | "wasm";
  readonly threads: number;
  /**
   * Evaluates and checks this step's hyperparameters (schedules included) and, with clipping, the
   * gradient norm. Throws before anything is written; writes nothing but the clip's recorded norm.
   */
  prepare(): void;
  /**
   * Runs the kernels and advances the counts, with the scalars `prepare` computed. Throws only on a
   * fault inside the kernels (e.g. a thread-pool worker that died), which leaves the state part-way.
   */
  run(): void;
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
  if (pool && !layout.arena?.shared) return "threads need params packed into a shared arena";
  const clip2 = !p.clip || p.clip.normType === 2;
  if (choice === "wasm" && !clip2) return "the wasm kernels fold only 2-norm clipping";
  const kernel = choice === "js" || !wasmOk || !clip2 ? "js" : "wasm";
  if (pool && kernel !== "wasm") return "threads need the wasm kernels";

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
  const packed = layout.arena !== undefined && work.flat !== undefined;
  const spans = packed ? { p: spanOf(layout), g: work.flat! } : undefined;
  const { spec } = p;

  // Scalars are evaluated (and range-checked) before anything is written.
  const scalars = { ...stepScalars(), coef: 1, negate: spec.maximize };
  const decays = { l2: 0, wd: 0 };

  function prepare(): void {
    resolveStep(p, scalars);
    // The decays apply per run of leaves (masks): the kernels read them from `decays`.
    decays.l2 = scalars.l2;
    decays.wd = scalars.wd;
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

  // Work items, fixed at setup so a step allocates nothing: one per run of leaves when packed,
  // else one per leaf (bounds [lo, hi) into the arrays of that item).
  interface Item {
    p: FloatArray;
    g: FloatArray;
    b: Partial<Record<BufferName, FloatArray>>;
    lo: number;
    hi: number;
    decayed: boolean;
  }
  const items: Item[] = [];
  for (const [from, to, on] of groups) {
    if (spans) {
      const lo = layout.offsets[from]!;
      const hi = to < layout.offsets.length ? layout.offsets[to]! : layout.total;
      items.push({ p: spans.p, g: spans.g, b: flats, lo, hi, decayed: on });
    } else {
      for (let i = from; i < to; i++) {
        const b = Object.fromEntries(Object.entries(p.buffers).map(([k, list]) => [k, list[i]]));
        items.push({
          p: paramLeaves[i]!,
          g: work.leaves[i]!,
          b,
          lo: 0,
          hi: paramLeaves[i]!.length,
          decayed: on,
        });
      }
    }
  }

  function stepJs(): void {
    for (const it of items) {
      scalars.l2 = it.decayed ? decays.l2 : 0;
      scalars.wd = it.decayed ? decays.wd : 0;
      const { p: pp, g, b, lo, hi } = it;
      if (spec.kind === "adam") {
        adamJs(pp, g, b.expAvg!, b.expAvgSq!, b.maxExpAvgSq, lo, hi, scalars as AdamScalars);
      } else if (spec.kind === "sgd") {
        sgdJs(pp, g, b.momentumBuffer, lo, hi, scalars as SgdScalars);
      } else if (spec.kind === "rmsprop") {
        rmspropJs(pp, g, b.squareAvg!, b.gradAvg, b.momentumBuffer, lo, hi, scalars as RmspropScalars);
      } else if (spec.kind === "lion") {
        lionJs(pp, g, b.expAvg!, lo, hi, scalars as LionScalars);
      } else {
        adagradJs(pp, g, b.sum!, lo, hi, scalars as AdagradScalars);
      }
    }
  }

  // ---- WASM: each run cut into one chunk per thread, each chunk with its argument list ----
  const memory = layout.arena?.memory;
  const threads = pool ? pool.size : 1;
  const byteOf = (name: BufferName) => flats[name]?.byteOffset ?? 0;

  /** [lo, hi) cut into `threads` pieces on 4-element boundaries. */
  function split(lo: number, hi: number): [number, number][] {
    const out: [number, number][] = [];
    const useful = pool ? Math.max(1, Math.min(threads, Math.floor((hi - lo) / pool.minPerThread))) : 1;
    const per = Math.max(4, Math.ceil((hi - lo) / useful / 4) * 4);
    for (let a = lo; a < hi; a += per) out.push([a, Math.min(a + per, hi)]);
    return out;
  }

  interface Chunk {
    lo: number;
    hi: number;
    args: number[];
  }
  const wasmRuns: { decayed: boolean; chunks: Chunk[]; calls: number[][] }[] =
    kernel === "wasm"
      ? items.map((it) => {
          const chunks = split(it.lo, it.hi).map(([lo, hi]) => ({ lo, hi, args: [] as number[] }));
          return { decayed: it.decayed, chunks, calls: chunks.map((c) => c.args) };
        })
      : [];
  const normChunks =
    kernel === "wasm" && p.clip
      ? split(0, layout.total).map(([lo, hi]) => [work.flat!.byteOffset + lo * 4, hi - lo])
      : [];

  function wasmNorm(): number {
    let sum = 0;
    if (pool) for (const s of pool.run(memory!, "sumsq", normChunks)) sum += s;
    else for (const [g, n] of normChunks) sum += kernelsFor(memory!).sumsq(g!, n!);
    return Math.sqrt(sum);
  }

  /** Writes the kernel's arguments for elements [lo, hi) into `a` (reused every step). */
  function writeArgs(a: number[], lo: number, hi: number): void {
    const at = (byte: number) => byte + lo * 4;
    a.length = 0;
    a.push(at(layout.base), at(work.flat!.byteOffset));
    const coef = scalars.negate ? -scalars.coef : scalars.coef;
    const scaled = coef !== 1 || scalars.l2 !== 0 ? 1 : 0;
    const decays = scalars.wd !== 0 ? 1 : 0;
    if (spec.kind === "adam") {
      a.push(at(byteOf("expAvg")), at(byteOf("expAvgSq")), at(byteOf("maxExpAvgSq")), hi - lo);
      a.push(coef, scalars.l2, scalars.wd, -scalars.lr);
      a.push(
        scalars.b1,
        1 - scalars.b1,
        scalars.b2,
        1 - scalars.b2,
        1 / scalars.bc1,
        1 / scalars.bc2Sqrt,
        scalars.eps,
      );
      a.push(scalars.amsgrad ? 1 : 0, scaled, decays);
    } else if (spec.kind === "sgd") {
      a.push(
        at(byteOf("momentumBuffer")),
        hi - lo,
        coef,
        scalars.l2,
        scalars.wd,
        -scalars.lr,
        scalars.mu,
        scalars.keep,
      );
      a.push(scalars.hasMomentum ? 1 : 0, scalars.first ? 1 : 0, scalars.nesterov ? 1 : 0, scaled, decays);
    } else if (spec.kind === "rmsprop") {
      a.push(at(byteOf("squareAvg")), at(byteOf("gradAvg")), at(byteOf("momentumBuffer")), hi - lo);
      a.push(
        coef,
        scalars.l2,
        scalars.wd,
        -scalars.lr,
        scalars.alpha,
        1 - scalars.alpha,
        scalars.eps,
        scalars.mu,
        scalars.keep,
      );
      a.push(scalars.centered ? 1 : 0, scalars.hasMomentum ? 1 : 0, scalars.first ? 1 : 0, 0, scaled, decays);
    } else if (spec.kind === "lion") {
      a.push(at(byteOf("expAvg")), hi - lo, coef, scalars.l2, scalars.wd, -scalars.lr);
      a.push(scalars.b1, 1 - scalars.b1, scalars.b2, 1 - scalars.b2, 1, 0, scaled, decays);
    } else {
      a.push(
        at(byteOf("sum")),
        hi - lo,
        coef,
        scalars.l2,
        scalars.wd,
        -scalars.lr,
        scalars.eps,
        scaled,
        decays,
      );
    }
  }

  function stepWasm(): void {
    const fn = kernelsFor(memory!)[spec.kind] as (...a: number[]) => void;
    for (const run of wasmRuns) {
      scalars.l2 = run.decayed ? decays.l2 : 0;
      scalars.wd = run.decayed ? decays.wd : 0;
      for (const c of run.chunks) writeArgs(c.args, c.lo, c.hi);
      if (pool) pool.run(memory!, spec.kind, run.calls);
      else for (const c of run.chunks) fn.apply(null, c.args);
    }
  }

  return {
    kernel,
    threads,
    prepare,
    run() {
      if (kernel === "wasm") stepWasm();
      else stepJs();
      for (const c of p.counts) c.count += 1;
    },
  };
}
