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
import { WASM_KINDS, type WasmKind } from "./kinds/index.js";
import { isUnsupported } from "./kinds/kind.js";
import { type Layout, mirror, spanOf } from "./layout.js";
import { type Plan, plan, resolveStep } from "./plan.js";
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
 * How many state buffers the WASM kernel keeps for this chain — what an arena staging plain float32
 * params must hold besides them and the gradient — or undefined when it cannot run the chain (not an
 * alias it fuses, a kind without a WASM kernel, clipping other than 2-norm, no WebAssembly SIMD).
 */
export function wasmBuffers(tx: AnyTransformation, state: unknown): number | undefined {
  const p = plan(tx, state);
  if (typeof p === "string") return undefined;
  if (!WASM_KINDS.some((k) => k === p.spec.kind) || isUnsupported(p.kind.wasm)) return undefined;
  if (p.clip && p.clip.normType !== 2) return undefined;
  if (!wasmAvailable()) return undefined;
  return Object.keys(p.buffers).length;
}

/**
 * Plain params staged through an arena (`paramLeaves` are then the mirror's leaves): `run` copies
 * the caller's arrays in and the results back, block by block, so each block is copied, updated
 * and copied back while it is in cache.
 */
export interface Stage {
  /** The caller's leaves, in the order of the mirror's. */
  user: FloatArray[];
}

/** `to.set(from)`, by a loop for short arrays (`set`'s fixed cost dominates below ~64 elements). */
function copy(to: FloatArray, from: FloatArray): void {
  const n = from.length;
  if (n < 64) for (let j = 0; j < n; j++) to[j] = from[j]!;
  else to.set(from);
}

/** Elements per block of a staged single-thread step: 4 streams × 64 KiB stay in L2. */
const STAGE_BLOCK = 16384;
/** On a pool, blocks large enough that its per-call cost stays small: 4 streams × 1 MiB, in L3. */
const STAGE_BLOCK_POOL = 262144;

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
  stage?: Stage,
): Fused | string {
  const planned = plan(tx, state);
  if (typeof planned === "string") return planned;
  const p: Plan = planned;
  const { spec, kind: mod } = p;
  const wasmKind = WASM_KINDS.find((k): k is WasmKind => k === spec.kind);
  const wasmOk = layout.arena !== undefined && layout.dtype === "float32" && wasmAvailable();
  const clip2 = !p.clip || p.clip.normType === 2;
  if (choice === "wasm" && (!wasmOk || wasmKind === undefined || !clip2)) {
    return layout.dtype !== "float32"
      ? "the wasm kernels are float32 only"
      : wasmKind === undefined || isUnsupported(mod.wasm)
        ? `the wasm kernels do not run ${spec.owner}${isUnsupported(mod.wasm) ? `: ${mod.wasm.unsupported}` : ""}`
        : !clip2
          ? "the wasm kernels fold only 2-norm clipping"
          : !wasmAvailable()
            ? "this runtime has no WebAssembly SIMD with shared memory"
            : "the wasm kernels need params packed into one arena by packTree";
  }
  if (pool && !layout.arena?.shared) return "threads need params packed into a shared arena";
  if (stage && (choice === "js" || !wasmOk || !clip2 || wasmKind === undefined))
    return "staged params need the wasm kernels";
  const kernel = choice === "js" || !wasmOk || !clip2 || wasmKind === undefined ? "js" : "wasm";
  if (pool && kernel !== "wasm") return "threads need the wasm kernels";
  const js = mod.js;
  if (kernel === "js" && isUnsupported(js))
    return `the js kernels do not run ${spec.owner}: ${js.unsupported}`;

  // Move the state buffers into flat storage laid out like the params, leaving views in the state.
  const flats: Record<string, FloatArray | undefined> = {};
  for (const [name, list] of Object.entries(p.buffers)) {
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

  // Scalars are evaluated (and range-checked) before anything is written.
  const scalars = mod.scalars();
  scalars.negate = spec.maximize;
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
    b: Record<string, FloatArray | undefined>;
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
    if (isUnsupported(js)) throw new Error("unreachable: the js kernel was checked at setup");
    for (const it of items) {
      scalars.l2 = it.decayed ? decays.l2 : 0;
      scalars.wd = it.decayed ? decays.wd : 0;
      js.run(it.p, it.g, it.b, it.lo, it.hi, scalars);
    }
  }

  // ---- WASM: each run cut into one chunk per thread, each chunk with its argument list ----
  const memory = layout.arena?.memory;
  const threads = pool ? pool.size : 1;
  const byteOf = (name: string) => flats[name]?.byteOffset ?? 0;

  /** [lo, hi) cut into `threads` pieces on 4-element boundaries. */
  function split(lo: number, hi: number): [number, number][] {
    const out: [number, number][] = [];
    const useful = pool ? Math.max(1, Math.min(threads, Math.floor((hi - lo) / pool.minPerThread))) : 1;
    const per = Math.max(4, Math.ceil((hi - lo) / useful / 4) * 4);
    for (let a = lo; a < hi; a += per) out.push([a, Math.min(a + per, hi)]);
    return out;
  }

  /** [lo, hi) cut into blocks of `size` (a multiple of 4). */
  function blocks(lo: number, hi: number, size: number): [number, number][] {
    const out: [number, number][] = [];
    for (let a = lo; a < hi; a += size) out.push([a, Math.min(a + size, hi)]);
    return out;
  }

  /** The caller's and the mirror's views of the leaves' elements within [lo, hi) of the span. */
  function copiesIn(lo: number, hi: number): [FloatArray, FloatArray][] {
    const out: [FloatArray, FloatArray][] = [];
    const { offsets, lengths } = layout;
    // The last leaf starting at or before lo (binary search: setup stays linear in leaves + blocks).
    let i = 0;
    for (let top = offsets.length - 1; i < top; ) {
      const mid = (i + top + 1) >> 1;
      if (offsets[mid]! <= lo) i = mid;
      else top = mid - 1;
    }
    for (; i < offsets.length && offsets[i]! < hi; i++) {
      const off = offsets[i]!;
      const a = Math.max(lo, off) - off;
      const b = Math.min(hi, off + lengths[i]!) - off;
      if (a < b) out.push([stage!.user[i]!.subarray(a, b), paramLeaves[i]!.subarray(a, b)]);
    }
    return out;
  }

  interface Chunk {
    lo: number;
    hi: number;
    args: number[];
  }
  /**
   * One kernel pass: a run of leaves with the same decay mask, cut into one chunk per thread; staged
   * params cut each run into blocks first, copied in before the block's pass and back after it.
   */
  interface Pass {
    decayed: boolean;
    chunks: Chunk[];
    calls: number[][];
    /** Staged: the (caller's, mirror's) views of the block's elements. */
    copies: [FloatArray, FloatArray][];
  }
  // On a pool, each block big enough to be split over every thread (minPerThread may be ∞: one block).
  const block = pool
    ? Math.max(STAGE_BLOCK_POOL, Math.ceil((threads * pool.minPerThread) / 4) * 4)
    : STAGE_BLOCK;
  const wasmRuns: Pass[] = [];
  if (kernel === "wasm") {
    for (const it of items) {
      const cut: [number, number][] = stage ? blocks(it.lo, it.hi, block) : [[it.lo, it.hi]];
      for (const [a, b] of cut) {
        const chunks = split(a, b).map(([lo, hi]) => ({ lo, hi, args: [] as number[] }));
        const calls = chunks.map((c) => c.args);
        wasmRuns.push({ decayed: it.decayed, chunks, calls, copies: stage ? copiesIn(a, b) : [] });
      }
    }
  }
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

  // The kernel's arguments: params, gradient, one pointer per buffer of the kind (absent optional
  // ones never read), n, then the kind's parameters in the order of its list — the list the WAT's
  // `(param …)` is generated from.
  const bufferNames = Object.keys(mod.buffers);
  const wasmParams = isUnsupported(mod.wasm) ? [] : mod.wasm.params;

  /** Writes the kernel's arguments for elements [lo, hi) into `a` (reused every step). */
  function writeArgs(a: number[], lo: number, hi: number): void {
    const at = (byte: number) => byte + lo * 4;
    a.length = 0;
    a.push(at(layout.base), at(work.flat!.byteOffset));
    for (let i = 0; i < bufferNames.length; i++) a.push(at(byteOf(bufferNames[i]!)));
    a.push(hi - lo);
    for (let i = 0; i < wasmParams.length; i++) a.push(wasmParams[i]!.value(scalars));
  }

  function stepWasm(): void {
    const name = wasmKind!;
    const fn = kernelsFor(memory!)[name] as (...a: number[]) => void;
    for (const run of wasmRuns) {
      scalars.l2 = run.decayed ? decays.l2 : 0;
      scalars.wd = run.decayed ? decays.wd : 0;
      const copies = run.copies;
      for (let i = 0; i < copies.length; i++) copy(copies[i]![1], copies[i]![0]);
      for (const c of run.chunks) writeArgs(c.args, c.lo, c.hi);
      if (pool) pool.run(memory!, name, run.calls);
      else for (const c of run.chunks) fn.apply(null, c.args);
      for (let i = 0; i < copies.length; i++) copy(copies[i]![0], copies[i]![1]);
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
