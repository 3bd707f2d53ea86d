/**
 * Dispatch: recognizes the chains the kernels can run in one pass — an optimizer alias, optionally
 * preceded by `clipByGlobalNorm`, optionally inside the wrappers that declare a fusion
 * (`skipNonFinite`, `injectHyperparams`, `ema`/`polyak`, `accumulateGradients`) — and runs them with the JS kernels or the WASM SIMD kernels
 * (optionally on a thread pool). The chain's own state objects are kept (their buffers are moved
 * into flat storage mirroring the params' layout and replaced by views), and every `count` in them
 * advances exactly as the reference would, so `stateDict()`, resume, schedules and masks behave the
 * same whichever kernel runs.
 */
import { leavesNorm } from "../clipping/norms.js";
import type { AnyTransformation } from "../transform.js";
import { INT8_BLOCK, type QuantizedBuffer } from "../transforms/compact-state.js";
import { type FloatArray, flatten, resolveMask, showPath, type Tree } from "../tree.js";
import type { AccumulateState } from "../wrappers/accumulate-gradients.js";
import type { AverageState } from "../wrappers/average-params.js";
import type { SkipState } from "../wrappers/skip-non-finite.js";
import { allocate, paddedLength } from "./arena.js";
import { INT8_TABLES, int8Tables } from "./int8-tables.js";
import {
  WASM_KINDS,
  WASM_KINDS64,
  type WasmKind,
  type WasmKind64,
  type WasmKindBf16,
  type WasmKindInt8,
} from "./kinds/index.js";
import {
  type Bfloat16Kernels,
  type BufferSpec,
  type Buffers,
  type Int8Kernel,
  isUnsupported,
  type JsKernel,
  type Scalars,
  type WordBuffers,
} from "./kinds/kind.js";
import { type Layout, mirror, mirrorInt8, mirrorWords, spanOf } from "./layout.js";
import { type Layer, type Plan, peel, plan, resolveStep, roundingKeys } from "./plan.js";
import {
  type Bfloat16KernelName,
  type Float64KernelName,
  type Int8KernelName,
  kernelsFor,
  type ThreadPool,
  type WasmKernels,
  wasmAvailable,
} from "./wasm-kernels.js";

// The float64 kernels the registry declares are the ones the module's type names, and no others
// (a type-level check: this module must stay free of top-level effects, see package.json sideEffects).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type Float64NamesMatch = Holds<Same<`${WasmKind64}64`, Float64KernelName>>;
export type Bfloat16NamesMatch = Holds<Same<`${WasmKindBf16}Bf16`, Bfloat16KernelName>>;
export type Int8NamesMatch = Holds<Same<`${WasmKindInt8}Int8`, Int8KernelName>>;

/** Which code runs an optimizer's updates: the transform chain itself, or the fused JS or WASM SIMD kernels. */
export type KernelName = "reference" | "js" | "wasm";

export interface Fused {
  readonly kernel: "js" | "wasm";
  readonly threads: number;
  /**
   * Evaluates and checks this step's hyperparameters (schedules included) and, with clipping, the
   * gradient norm. Throws before anything is written; writes nothing but the clip's recorded norm.
   */
  prepare(grads?: readonly FloatArray[]): void;
  /**
   * True when the step reads the caller's gradient arrays itself, block by block (staged plain
   * params, nothing needing the whole gradient first — no clip, skip or accumulation): then
   * `run(grads)` takes them and the caller copies nothing (without `grads`, the step reads the
   * optimizer's own gradient buffer, which the caller wrote into).
   */
  readonly stagesGradients: boolean;
  /**
   * Runs the kernels and advances the counts, with the scalars `prepare` computed (`grads`: the
   * caller's gradient leaves, when `stagesGradients`). Throws only on a fault inside the kernels
   * (e.g. a thread-pool worker that died), which leaves the state part-way.
   */
  run(grads?: readonly FloatArray[]): void;
  /** Whether the step `prepare` decided reports statistics (an `observe` wrapper's reporting step). */
  reports(): boolean;
  /**
   * After `run`, on a reporting step: computes the statistics and hands them to `observe`'s
   * callback, which may throw (then `undoParams` and a state snapshot taken before `run` undo it).
   */
  report(): void;
  /** Puts back the params as they were before `run` (on a reporting step). */
  undoParams(): void;
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
 * The bytes the WASM kernel's state takes in an arena for this chain on params laid out as `layout`
 * — what an arena staging plain params must hold besides the scratch — or undefined when it cannot
 * run the chain (not an alias it fuses, a kind without a WASM kernel, clipping other than 2-norm, no
 * WebAssembly SIMD).
 */
export function wasmStateBytes(tx: AnyTransformation, state: unknown, layout: Layout): number | undefined {
  const dtype = layout.dtype;
  if (dtype === "mixed") return undefined;
  const peeled = peel(tx, state);
  if (typeof peeled === "string") return undefined;
  const p = plan(peeled.core, peeled.coreState);
  if (typeof p === "string") return undefined;
  const kinds: readonly string[] = dtype === "float64" ? WASM_KINDS64 : WASM_KINDS;
  if (!kinds.includes(p.spec.kind) || isUnsupported(p.kind.wasm)) return undefined;
  if (p.spec.stateDtype !== undefined && (dtype !== "float32" || !wordsWasm(p))) return undefined;
  if (p.clip && p.clip.normType !== 2) return undefined;
  // A leafwise kind (LAMB) needs a whole leaf in the arena at once: packed params only.
  if (p.kind.leafwise) return undefined;
  if (!wasmAvailable()) return undefined;
  return arenaBytes(p, Object.keys(layerBuffers(peeled.layers)).length, layout);
}

/**
 * The bytes of a fused state in an arena: the alias's buffers (float, bfloat16 words, or 8-bit codes
 * with their block scales and the codes' tables) and `extra` float buffers of the wrappers, each
 * region 16-byte aligned and padded.
 */
function arenaBytes(p: Plan, extra: number, layout: Layout): number {
  const floats = layout.total * (layout.dtype === "float64" ? 8 : 4) + 16;
  const count = Object.keys(p.buffers).length;
  if (p.int8) {
    const blocks = layout.lengths.reduce((a, n) => a + Math.ceil(n / INT8_BLOCK), 0);
    return count * (layout.total + 16 + blocks * 4 + 16) + INT8_TABLES.bytes + 16 + extra * floats;
  }
  return count * (p.bfloat16 ? layout.total * 2 + 16 : floats) + extra * floats;
}

/**
 * Whether the plan's state storage has a WASM kernel: float state, or bfloat16 moments where the
 * kind declares one (float32 params only).
 */
function wordsWasm(p: Plan): boolean {
  const words = p.kind.bfloat16;
  return p.bfloat16 === undefined || (!isUnsupported(words) && !isUnsupported(words.wasm));
}

/** The wrappers' own buffers (an average's, an accumulator's), by a name of their own. */
function layerBuffers(layers: readonly Layer[]): Record<string, FloatArray[]> {
  const out: Record<string, FloatArray[]> = {};
  layers.forEach((l, i) => {
    if (l.fusion.kind === "average") out[`average${i}`] = (l.state as unknown as AverageState).average;
    if (l.fusion.kind === "accumulate") out[`acc${i}`] = (l.state as unknown as AccumulateState).acc;
  });
  return out;
}

/** The index of the first leaf holding a NaN or ±∞, or −1. */
function firstNonFinite(leaves: readonly FloatArray[]): number {
  for (let i = 0; i < leaves.length; i++) {
    const a = leaves[i]!;
    for (let j = 0; j < a.length; j++) if (!Number.isFinite(a[j]!)) return i;
  }
  return -1;
}

/**
 * Plain float32 params staged through an arena of the optimizer's own, which holds the state and two
 * block-sized scratch regions: `run` copies each block of the caller's params and gradients into the
 * scratch, updates it there (in cache) and copies the params back — so only the caller's arrays and
 * the state stream from memory, and no copy of the params or gradients is kept.
 */
export interface Stage {
  /** The caller's param leaves (`paramLeaves`). */
  user: FloatArray[];
  /**
   * Scratch for a block's params and gradient, `stageBlock(pool)` elements each, in the arena: one
   * pair, or two on a pool that runs alongside (the workers update one block while the calling
   * thread copies the previous one out and the next one in).
   */
  scratch: [FloatArray, FloatArray][];
}

/** [0, count) cut into at most `parts` consecutive ranges [from, to). */
function splitCount(count: number, parts: number): [number, number][] {
  const per = Math.ceil(count / Math.max(1, parts));
  const out: [number, number][] = [];
  for (let a = 0; a < count; a += per) out.push([a, Math.min(a + per, count)]);
  return out;
}

/** `to.set(from)`, by a loop for short arrays (`set`'s fixed cost dominates below ~64 elements). */
function copy(to: FloatArray, from: FloatArray): void {
  const n = from.length;
  if (n < 64) for (let j = 0; j < n; j++) to[j] = from[j]!;
  else to.set(from);
}

/**
 * The share of each block the calling thread updates itself in a pipelined staged step, besides the
 * copies only it can make (the workers take the rest).
 */
const OWN_SHARE = 0.4;

/** Elements per block of a staged single-thread step: 4 streams × 64 KiB stay in L2. */
const STAGE_BLOCK = 16384;
/** On a pool, blocks large enough that its per-call cost stays small: 4 streams × 1 MiB, in L3. */
const STAGE_BLOCK_POOL = 262144;

/**
 * Elements per block of a staged (or averaged) step — the scratch regions' size. On a pool, each
 * block is big enough to be split over every thread (minPerThread may be ∞: one block).
 */
export function stageBlock(pool: ThreadPool | undefined): number {
  if (!pool) return STAGE_BLOCK;
  const wanted = Math.max(STAGE_BLOCK_POOL, Math.ceil((pool.size * pool.minPerThread) / 4) * 4);
  return Number.isFinite(wanted) ? wanted : Number.MAX_SAFE_INTEGER - 3;
}

/**
 * Prepares a fused step, or returns why it cannot be fused with this kernel. `work` is the gradient
 * buffer (mirroring the params' layout when they are packed); `stage`, plain params staged through
 * the optimizer's own arena. `choice` "auto" picks WASM for params in an arena (packed or staged) of
 * a dtype the kind's WASM kernels run, else JS.
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
  const peeled = peel(tx, state);
  if (typeof peeled === "string") return peeled;
  let layers = peeled.layers;
  let coreTx = peeled.core;
  const planned = plan(coreTx, peeled.coreState);
  if (typeof planned === "string") return planned;
  let p: Plan = planned;
  const { spec, kind: mod } = p;
  // `stateDtype` "float32" is the params' own storage only for float32 params
  if (spec.stateDtype === "float32" && layout.dtype !== "float32")
    return `${spec.owner} keeps its moments as float32 (stateDtype) for ${layout.dtype} params, and the fused kernels keep them in the params' dtype: the reference chain runs it`;
  // Moments stored as bfloat16: the kind's bfloat16 kernels (plan checked it has them), one leaf per
  // call (the rounding is keyed by leaf).
  const words = p.bfloat16 !== undefined ? (mod.bfloat16 as Bfloat16Kernels<Scalars, BufferSpec>) : undefined;
  // Moments stored in 8 bits: the kind's WASM kernel (plan checked it has one), one leaf per call,
  // each call from a block's start (a block's scale is its absmax).
  const int8 = p.int8 !== undefined;
  const wasmKind =
    words && isUnsupported(words.wasm) ? undefined : WASM_KINDS.find((k): k is WasmKind => k === spec.kind);
  // float32 params, or float64 ones where the kind has a float64 kernel (f64x2 lanes)
  const f64 = layout.dtype === "float64";
  const dtypeOk =
    layout.dtype === "float32" || (f64 && !words && !int8 && WASM_KINDS64.some((k) => k === wasmKind));
  const wasmOk = layout.arena !== undefined && dtypeOk && wasmAvailable();
  const clip2 = !p.clip || p.clip.normType === 2;
  if (choice === "wasm" && (!wasmOk || wasmKind === undefined || !clip2)) {
    return !dtypeOk && wasmKind !== undefined
      ? layout.dtype === "mixed"
        ? "the wasm kernels need one dtype for all params (float32 or float64)"
        : words || int8
          ? `the wasm kernels run ${spec.owner}'s ${int8 ? "8-bit" : "bfloat16"} moments for float32 params only`
          : `the wasm kernels do not run ${spec.owner} on float64: ${(mod.wasm as { float64: { unsupported: string } }).float64.unsupported}`
      : words && isUnsupported(words.wasm)
        ? `the wasm kernels do not run ${spec.owner} with bfloat16 moments: ${words.wasm.unsupported}`
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
  if (int8 && kernel !== "wasm")
    return `${spec.owner}'s 8-bit moments have a WASM kernel only (float32 params, packed by packTree or plain arrays staged, 2-norm clipping): the reference chain is their JS path`;
  if (pool && kernel !== "wasm") return "threads need the wasm kernels";
  const js = mod.js;
  if (kernel === "js" && !words && isUnsupported(js))
    return `the js kernels do not run ${spec.owner}: ${js.unsupported}`;
  const accIndex = layers.findIndex((l) => l.fusion.kind === "accumulate");
  if (accIndex >= 0 && p.clip && p.clip.normType !== 2)
    return "the fused kernels clip an accumulated gradient by its 2-norm only";
  const hasInject = layers.some((l) => l.fusion.kind === "inject-hyperparams");

  // Move the state buffers (the alias's, then the wrappers') into flat storage laid out like the
  // params, leaving views in the state — in the params' arena when packed, which must have room
  // (an arena that is not shared cannot grow).
  const extra = layerBuffers(layers);
  const arena = stage ? undefined : layout.arena;
  if (arena && !arena.shared) {
    const norm = kernel === "wasm" && (p.clip || layers.some((l) => l.fusion.kind === "skip-non-finite"));
    const wanted =
      arenaBytes(p, Object.keys(extra).length, layout) +
      (norm ? (Math.ceil(layout.total / stageBlock(pool)) + 2) * 8 + 16 : 0);
    const free = arena.memory.buffer.byteLength - Math.ceil(arena.top / 16) * 16;
    if (wanted > free)
      return `the params' arena has ${free} bytes free and this optimizer's state needs ${wanted} (pack the params into createArena({ bytes }) with room for it)`;
  }
  const flats: Record<string, FloatArray | Uint16Array | Uint8Array | undefined> = {};
  /** 8-bit moments' block scales: the region's byte offset, and each leaf's first block in it. */
  const scalesOf: Record<string, { at: number; blocks: number[] }> = {};
  for (const [name, list] of [...Object.entries(p.buffers), ...Object.entries(extra)]) {
    if (int8 && name in p.buffers) {
      const q = mirrorInt8(layout, layout.arena!);
      const into = list as unknown as QuantizedBuffer[];
      into.forEach((b, i) => {
        q.leaves[i]!.codes.set(b.codes);
        q.leaves[i]!.scales.set(b.scales);
        into[i] = q.leaves[i]!;
      });
      flats[name] = q.codes;
      scalesOf[name] = { at: q.scales.byteOffset, blocks: q.blocks };
      continue;
    }
    // the alias's bfloat16 moments keep their bits, 2 bytes an element, in the same layout
    const m = words && name in p.buffers ? mirrorWords(layout, layout.arena) : mirror(layout, layout.arena);
    const into = list as (FloatArray | Uint16Array)[];
    into.forEach((b, i) => {
      m.leaves[i]!.set(b as never);
      into[i] = m.leaves[i]!;
    });
    flats[name] = m.flat;
  }
  const decayed = resolveMask(p.spec.mask, params);
  const groups = runs(decayed);
  const packed = layout.arena !== undefined && work.flat !== undefined && !stage;
  const spans = packed ? { p: spanOf(layout), g: work.flat! } : undefined;
  const paths = flatten(params).paths;
  // Accumulation's mean gradient, computed before anything is written (its norm may decide the step).
  const mean = accIndex >= 0 ? mirror(layout, undefined).leaves : undefined;

  // Scalars are evaluated (and range-checked) before anything is written.
  const scalars = mod.scalars();
  scalars.negate = spec.maximize;
  if (int8) scalars.rounding.tables = int8Tables(layout.arena!);
  const decays = { l2: 0, wd: 0 };

  // The step's course, decided by `prepare` and followed by `run`: the wrappers [0, reach) pass the
  // step on to what they wrap; `stop` says whether it reaches the alias or which wrapper ends it.
  let reach = 0;
  let stop: "core" | "skip" | "accumulate" = "core";
  /** The observe wrappers reporting at this step: their layer, what they read before it, the clip scale. */
  const reporting: { index: number; before: unknown; clipScale: number }[] = [];
  /** On reporting steps: the params before the step, and the update as applied (float64). */
  let oldParams: FloatArray[] | undefined;
  let applied: Float64Array[] | undefined;
  let coreNorm = 0;
  let realAccumulation = false;

  /** injectHyperparams: the values in force, and the optimizer built for them (rebuilt when a static value changed). */
  function refresh(): void {
    const again = peel(tx, state);
    if (typeof again === "string") throw new RangeError(again);
    const same =
      again.layers.length === layers.length &&
      again.layers.every((l, i) => l.fusion.kind === layers[i]!.fusion.kind && l.state === layers[i]!.state);
    if (!same)
      throw new Error("createOptimizer: injectHyperparams rebuilt its optimizer with other wrappers");
    layers = again.layers;
    if (again.core === coreTx) return;
    const q = plan(again.core, again.coreState);
    if (typeof q === "string")
      throw new Error(`createOptimizer: injectHyperparams rebuilt an optimizer that ${q}`);
    const kept =
      q.kind === p.kind &&
      Boolean(q.clip) === Boolean(p.clip) &&
      (!q.clip || q.clip.normType === p.clip!.normType) &&
      Object.keys(q.buffers).join() === Object.keys(p.buffers).join() &&
      Object.entries(q.buffers).every(([name, list]) => list.every((b, i) => b === p.buffers[name]![i]));
    if (!kept) throw new Error("createOptimizer: injectHyperparams rebuilt its optimizer into another kind");
    p = q;
    coreTx = again.core;
  }

  function prepare(grads: readonly FloatArray[] | undefined): void {
    if (hasInject) refresh();
    resolveStep(p, scalars);
    // The decays apply per run of leaves (masks): the kernels read them from `decays`.
    decays.l2 = scalars.l2;
    decays.wd = scalars.wd;
    scalars.coef = 1;
    const acc = accIndex >= 0 ? (layers[accIndex]!.state as unknown as AccumulateState) : undefined;
    realAccumulation = acc !== undefined && acc.miniStep + 1 >= (layers[accIndex]!.fusion as { k: number }).k;
    if (realAccumulation)
      meanInto(mean!, acc!.acc, work.leaves, (layers[accIndex]!.fusion as { k: number }).k);
    // The gradient a wrapper (or the clip, at depth layers.length) sees: the accumulated mean inside
    // accumulateGradients, the step's own outside it. Its 2-norm is computed once, when asked for.
    const norms: (number | undefined)[] = [undefined, undefined];
    const inside = (depth: number) => (accIndex >= 0 && depth > accIndex ? 1 : 0);
    const raw = grads ?? work.leaves;
    const leavesAt = (depth: number) => (inside(depth) ? mean! : raw);
    const norm2At = (depth: number) => {
      const at = inside(depth);
      norms[at] ??= at === 0 && kernel === "wasm" ? wasmNorm(grads) : leavesNorm(leavesAt(depth), 2);
      return norms[at]!;
    };
    stop = "core";
    reach = layers.length;
    for (let i = 0; i < layers.length; i++) {
      const { fusion, state: s } = layers[i]!;
      if (fusion.kind === "skip-non-finite") {
        // A finite sum of squares means every value is finite; an infinite one may be an overflow.
        if (Number.isFinite(norm2At(i))) continue;
        const bad = firstNonFinite(leavesAt(i));
        if (bad < 0) continue;
        const skip = s as unknown as SkipState;
        if (skip.consecutive + 1 > fusion.maxConsecutive) {
          throw new RangeError(
            `${fusion.owner}: ${skip.consecutive + 1} non-finite gradients in a row (maxConsecutive ${fusion.maxConsecutive}); first at ${showPath(paths[bad]!)}`,
          );
        }
        stop = "skip";
        reach = i;
        break;
      }
      if (fusion.kind === "accumulate" && !realAccumulation) {
        stop = "accumulate";
        reach = i;
        break;
      }
    }
    // observe: on its reporting step, what it reads from the gradient before the update.
    reporting.length = 0;
    const upTo = stop === "core" ? layers.length : reach;
    for (let i = 0; i < upTo; i++) {
      const { fusion, state: s } = layers[i]!;
      if (fusion.kind === "observe" && fusion.reports(s))
        reporting.push({ index: i, before: fusion.before(s, leavesAt(i), params), clipScale: 1 });
    }
    if (stop === "core" && p.clip) {
      const depth = layers.length;
      const norm = p.clip.normType === 2 ? norm2At(depth) : leavesNorm(leavesAt(depth), p.clip.normType);
      if (p.clip.strict && !Number.isFinite(norm)) {
        throw new RangeError(
          `clipByGlobalNorm: the total ${p.clip.normType}-norm of the gradients is ${norm}; nothing was changed`,
        );
      }
      scalars.coef = Math.min((1 / (norm + 1e-6)) * p.clip.maxNorm, 1);
      coreNorm = norm;
    }
  }

  // Work items, fixed at setup so a step allocates nothing: one per run of leaves when packed,
  // else one per leaf (bounds [lo, hi) into the arrays of that item).
  interface Item {
    p: FloatArray;
    g: FloatArray;
    b: Record<string, FloatArray | Uint16Array | Uint8Array | undefined>;
    lo: number;
    hi: number;
    decayed: boolean;
    /** The leaf of a one-leaf item (−1 for a run of several). */
    leaf: number;
  }
  const everyBuffer: Record<string, (FloatArray | Uint16Array)[]> = { ...p.buffers, ...extra };
  const items: Item[] = [];
  for (const [from, to, on] of groups) {
    if ((spans || stage) && (mod.leafwise || words || int8)) {
      // One item per leaf, without its padding (the kind needs each leaf's norms, or keys its
      // rounding by leaf). Staged, the WASM passes read only the bounds.
      for (let i = from; i < to; i++) {
        if (layout.lengths[i] === 0) continue; // nothing to update (and no chunk to hand a pool)
        const lo = layout.offsets[i]!;
        const [pp, gg] = spans ? [spans.p, spans.g] : [work.flat!, work.flat!];
        items.push({ p: pp, g: gg, b: flats, lo, hi: lo + layout.lengths[i]!, decayed: on, leaf: i });
      }
    } else if (spans || stage) {
      // Staged: the WASM passes read only the bounds (the blocks go through the scratch).
      const lo = layout.offsets[from]!;
      const hi = to < layout.offsets.length ? layout.offsets[to]! : layout.total;
      items.push({
        p: spans?.p ?? work.flat!,
        g: spans?.g ?? work.flat!,
        b: flats,
        lo,
        hi,
        decayed: on,
        leaf: -1,
      });
    } else {
      for (let i = from; i < to; i++) {
        const b = Object.fromEntries(Object.entries(everyBuffer).map(([k, list]) => [k, list[i]]));
        items.push({
          p: paramLeaves[i]!,
          g: work.leaves[i]!,
          b,
          lo: 0,
          hi: paramLeaves[i]!.length,
          decayed: on,
          leaf: i,
        });
      }
    }
  }
  /** The averages the step updates (the `ema`/`polyak` wrappers it reaches), with this step's decay. */
  const averages: { name: string; state: AverageState; decay: number | "uniform"; d: number }[] = [];
  function averagesReached(): typeof averages {
    averages.length = 0;
    const upTo = stop === "core" ? layers.length : reach;
    for (let i = 0; i < upTo; i++) {
      const { fusion, state: s } = layers[i]!;
      if (fusion.kind !== "average") continue;
      const a = s as unknown as AverageState;
      const d = fusion.decay === "uniform" ? a.count / (a.count + 1) : fusion.decay;
      averages.push({ name: `average${i}`, state: a, decay: fusion.decay, d });
    }
    return averages;
  }

  function stepJs(core: boolean): void {
    if (!words && isUnsupported(js)) throw new Error("unreachable: the js kernel was checked at setup");
    for (const it of items) {
      if (core) {
        scalars.l2 = it.decayed ? decays.l2 : 0;
        scalars.wd = it.decayed ? decays.wd : 0;
        if (words) {
          scalars.rounding.first = 0;
          roundingKeys(p, it.leaf, scalars.rounding.keys);
          words.js.run(it.p, it.g, it.b as WordBuffers<BufferSpec>, it.lo, it.hi, scalars);
        } else
          (js as JsKernel<Scalars, BufferSpec>).run(
            it.p,
            it.g,
            it.b as Buffers<BufferSpec>,
            it.lo,
            it.hi,
            scalars,
          );
      }
      for (const a of averages) averageJs(it.b[a.name] as FloatArray, it.p, it.lo, it.hi, a.d);
    }
  }

  // ---- WASM: each run cut into one chunk per thread, each chunk with its argument list ----
  const memory = layout.arena?.memory;
  const threads = pool ? pool.size : 1;
  /** Bytes per element, and the names of the kernels for this dtype. */
  const W = f64 ? 8 : 4;
  const names = {
    update: (f64
      ? `${wasmKind}64`
      : words
        ? `${wasmKind}Bf16`
        : int8
          ? `${wasmKind}Int8`
          : wasmKind) as keyof WasmKernels,
    sumsq: f64 ? "sumsq64" : "sumsq",
    sumsqBlocks: f64 ? "sumsqBlocks64" : "sumsqBlocks",
    average: f64 ? "average64" : "average",
    lambApply: f64 ? "lambApply64" : "lambApply",
  } as const;
  const byteOf = (name: string) => flats[name]?.byteOffset ?? 0;
  /** Bytes per element of a buffer: bfloat16 moments 2, the rest as the params. */
  const widthOf = (name: string) => flats[name]?.BYTES_PER_ELEMENT ?? W;

  /**
   * Where a call may start: every 4 elements (a vector), or for 8-bit moments every block of a leaf
   * (runs start at a leaf's first element).
   */
  const grain = int8 ? INT8_BLOCK : 4;
  /** [lo, hi) cut into `parts` pieces (default: one per thread) on `grain` boundaries. */
  function split(lo: number, hi: number, parts = threads): [number, number][] {
    const out: [number, number][] = [];
    const useful = pool ? Math.max(1, Math.min(parts, Math.floor((hi - lo) / pool.minPerThread))) : 1;
    const per = Math.max(grain, Math.ceil((hi - lo) / useful / grain) * grain);
    for (let a = lo; a < hi; a += per) out.push([a, Math.min(a + per, hi)]);
    return out;
  }

  /** [lo, hi) cut into blocks of `size` (a multiple of 4). */
  function blocks(lo: number, hi: number, size: number): [number, number][] {
    const out: [number, number][] = [];
    for (let a = lo; a < hi; a += size) out.push([a, Math.min(a + size, hi)]);
    return out;
  }

  /** The leaves' pieces within [lo, hi) of the span: [leaf, from, to) in the leaf's elements. */
  function piecesIn(lo: number, hi: number): [number, number, number][] {
    const out: [number, number, number][] = [];
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
      if (a < b) out.push([i, a, b]);
    }
    return out;
  }

  /**
   * Staged params: a block [a, b) of the span is worked on in the scratch regions (params and
   * gradient; they stay in cache, so only the caller's arrays and the state stream from memory).
   * A block's pieces of each leaf, where they sit in the scratch, and the padding between them
   * (zeroed: the kernels run over it, and the norm sums it).
   */
  interface Staging {
    a: number;
    /** The scratch pair this block goes through. */
    sp: FloatArray;
    sg: FloatArray;
    /** Per piece: the caller's param view, the scratch's param view, the leaf, and its [x, y). */
    params: { user: FloatArray; scratch: FloatArray }[];
    grads: { leaf: number; x: number; y: number; to: FloatArray; from?: FloatArray; view?: FloatArray }[];
    gaps: [number, number][];
  }
  function stagingOf(a: number, b: number, pair = 0): Staging {
    const pieces = piecesIn(a, b);
    const [sp, sg] = stage!.scratch[pair]!;
    const gaps: [number, number][] = [];
    let at = 0;
    for (const [i, x, y] of pieces) {
      const from = layout.offsets[i]! + x - a;
      if (from > at) gaps.push([at, from]);
      at = from + (y - x);
    }
    if (b - a > at) gaps.push([at, b - a]);
    const where = (i: number, x: number) => layout.offsets[i]! + x - a;
    return {
      a,
      sp,
      sg,
      params: pieces.map(([i, x, y]) => ({
        user: stage!.user[i]!.subarray(x, y),
        scratch: sp.subarray(where(i, x), where(i, y)),
      })),
      grads: pieces.map(([leaf, x, y]) => ({ leaf, x, y, to: sg.subarray(where(leaf, x), where(leaf, y)) })),
      gaps,
    };
  }
  /** Copies the block's params (and gradient, from `grads`) into the scratch, padding zeroed. */
  function stageIn(s: Staging, grads: readonly FloatArray[] | undefined, withParams: boolean): void {
    const { sp, sg } = s;
    if (withParams) for (const c of s.params) copy(c.scratch, c.user);
    if (grads) {
      for (let i = 0; i < s.grads.length; i++) {
        const c = s.grads[i]!;
        const from = grads[c.leaf]!;
        if (c.from !== from) {
          c.from = from;
          c.view = from.subarray(c.x, c.y);
        }
        copy(c.to, c.view!);
      }
    }
    for (const [x, y] of s.gaps) {
      if (withParams) sp.fill(0, x, y);
      if (grads) sg.fill(0, x, y);
    }
  }

  interface Chunk {
    lo: number;
    hi: number;
    args: number[];
  }
  /**
   * One kernel pass: a run of leaves with the same decay mask, cut into one chunk per thread; staged
   * params (and averaged ones, whose average then reads the params while in cache) cut each run into
   * blocks first.
   */
  interface Pass {
    decayed: boolean;
    /** Pipelined: the block's first part, which this thread updates alongside its copies. */
    own: Chunk | undefined;
    chunks: Chunk[];
    calls: number[][];
    /** Per average: its pass's arguments, one list per chunk. */
    averageCalls: number[][][];
    /** Staged: the block's scratch copies. */
    staging: Staging | undefined;
    /** bfloat16 moments: the pass's leaf, and the span offset of that leaf's first element. */
    leaf: number;
    origin: number;
  }
  // 8-bit moments: whole blocks of 256 (a staged block never splits one)
  const block = int8 ? Math.floor(stageBlock(pool) / INT8_BLOCK) * INT8_BLOCK : stageBlock(pool);
  const stagesGradients = stage !== undefined && accIndex < 0;
  // Staged on a pool that runs alongside: the workers update block k while this thread copies block
  // k − 1 out (after its averages) and block k + 1 in — the copies, which only this thread can do
  // (the caller's arrays are not shared), overlap the updates.
  const pipelined =
    stage !== undefined && pool?.runAlongside !== undefined && threads >= 2 && stage.scratch.length >= 2;
  const averageNames = Object.keys(extra).filter((k) => k.startsWith("average"));
  const wasmRuns: Pass[] = [];
  if (kernel === "wasm") {
    for (const leafItem of items) {
      // A one-leaf item ends at the leaf's last element; the kernels run to its padding.
      const it =
        mod.leafwise || words || int8
          ? { ...leafItem, hi: leafItem.lo + paddedLength(leafItem.hi - leafItem.lo, W) }
          : leafItem;
      const cut: [number, number][] =
        stage || averageNames.length > 1 ? blocks(it.lo, it.hi, block) : [[it.lo, it.hi]];
      for (const [a, b] of cut) {
        // Pipelined: this thread updates the block's first OWN_SHARE besides copying (balanced
        // against the workers' share: measured with tools/bench/plain.ts).
        const mid = pipelined ? Math.min(b, a + Math.floor(((b - a) * OWN_SHARE) / grain) * grain) : a;
        const own = pipelined && mid > a ? { lo: a, hi: mid, args: [] as number[] } : undefined;
        const chunks = (mid < b ? split(mid, b, pipelined ? threads - 1 : threads) : []).map(([lo, hi]) => ({
          lo,
          hi,
          args: [] as number[],
        }));
        wasmRuns.push({
          decayed: it.decayed,
          own,
          chunks,
          calls: chunks.map((c) => c.args),
          averageCalls: averageNames.map(() => chunks.map(() => [] as number[])),
          staging: stage ? stagingOf(a, b, pipelined ? wasmRuns.length % 2 : 0) : undefined,
          leaf: it.leaf,
          origin: it.lo,
        });
      }
    }
  }
  /** Byte offsets of params and gradient for element 0 of the span, in this pass. */
  const pBase = (s: Staging | undefined) => (s ? s.sp.byteOffset - s.a * W : layout.base);
  const gBase = (s: Staging | undefined) => (s ? s.sg.byteOffset - s.a * W : (work.flat?.byteOffset ?? 0));

  // The norm's pass: blocks of the span from 0 (the same sums, packed or staged), one chunk per thread.
  const needsNorm = p.clip !== undefined || layers.some((l) => l.fusion.kind === "skip-non-finite");
  // The norm's pass sums blocks of the span from 0, each as one `sumsq`, in order — packed (each
  // thread a range of blocks, their sums stored in `normSums`) or staged (a block at a time, through
  // the scratch): the same sums in the same order, whatever the threads.
  const normList = kernel === "wasm" && needsNorm ? blocks(0, layout.total, block) : [];
  const normStaging = stage ? normList.map(([a, b]) => stagingOf(a, b)) : [];
  const normSums =
    normList.length > 0 && !stage
      ? (allocate(layout.arena!, normList.length, "float64") as Float64Array)
      : undefined;
  const normCalls = normSums
    ? splitCount(normList.length, threads).map(([from, to]) => [
        gBase(undefined) + normList[from]![0] * W,
        normList[to - 1]![1] - normList[from]![0],
        block,
        normSums.byteOffset + from * 8,
      ])
    : [];

  function wasmNorm(grads: readonly FloatArray[] | undefined): number {
    let sum = 0;
    const k = kernelsFor(memory!);
    if (normSums) {
      if (pool && normCalls.length > 1) pool.run(memory!, names.sumsqBlocks, normCalls);
      else for (const c of normCalls) k[names.sumsqBlocks](c[0]!, c[1]!, c[2]!, c[3]!);
      for (let i = 0; i < normSums.length; i++) sum += normSums[i]!;
    } else {
      normList.forEach(([a, b], i) => {
        const s = normStaging[i]!;
        stageIn(s, grads ?? work.leaves, false);
        sum += k[names.sumsq](gBase(s) + a * W, b - a);
      });
    }
    return Math.sqrt(sum);
  }

  // The kernel's arguments: params, gradient, one pointer per buffer of the kind (absent optional
  // ones never read), n, then the kind's parameters in the order of its list — the list the WAT's
  // `(param …)` is generated from.
  const bufferNames = Object.keys(mod.buffers);
  const wasmOf = words ? words.wasm : int8 ? (mod.int8 as Int8Kernel<Scalars>).wasm : mod.wasm;
  const wasmParams = isUnsupported(wasmOf) ? [] : wasmOf.params;

  /**
   * Writes the kernel's arguments for elements [lo, hi) of pass `run` into `a` (reused every step);
   * bfloat16 moments: the keys of the run's leaf are in the scalars already.
   */
  function writeArgs(a: number[], lo: number, hi: number, run: Pass): void {
    const s = run.staging;
    const at = (byte: number) => byte + lo * W;
    a.length = 0;
    a.push(at(pBase(s)), at(gBase(s)));
    for (let i = 0; i < bufferNames.length; i++) {
      const name = bufferNames[i]!;
      if (int8) {
        // codes at a byte an element, then the block scales from the leaf's first (lo is a block's start)
        const sc = scalesOf[name];
        a.push(
          byteOf(name) + lo,
          sc ? sc.at + (sc.blocks[run.leaf]! + (lo - run.origin) / INT8_BLOCK) * 4 : 0,
        );
      } else a.push(byteOf(name) + lo * widthOf(name));
    }
    a.push(hi - lo);
    scalars.average.at = scalars.average.on ? byteOf(folded) + lo * W : 0;
    scalars.rounding.first = lo - run.origin;
    for (let i = 0; i < wasmParams.length; i++) a.push(wasmParams[i]!.value(scalars));
  }

  // The first average a stepping pass reaches is folded into the kernel (a ← d·a + c·p as p is
  // written); the others, and every average of a step that does not update, take passes of their own.
  let folded = "";
  let separate = 0;
  function foldAverage(core: boolean): void {
    // A leafwise kind's kernel does not write the params (lambApply does): nothing to fold into.
    // Nor does the 8-bit kernel fold one (its p is written element by element in a second sweep).
    const first = core && !mod.leafwise && !int8 ? averages[0] : undefined;
    scalars.average.on = first !== undefined;
    folded = first?.name ?? "";
    scalars.average.d = first?.d ?? 0;
    scalars.average.c = first ? 1 - first.d : 0;
    separate = first ? 1 : 0;
  }

  /** A staged block's end, on this thread: its averages, then its params copied back. */
  function finish(run: Pass): void {
    const s = run.staging!;
    averagesHere(run);
    for (const c of s.params) copy(c.user, c.scratch);
  }

  /** A pass's averages, all on this thread. */
  function averagesHere(run: Pass): void {
    const k = kernelsFor(memory!);
    const s = run.staging;
    for (let j = separate; j < averages.length; j++) {
      const { name, d } = averages[j]!;
      if (run.own)
        k[names.average](
          byteOf(name) + run.own.lo * W,
          pBase(s) + run.own.lo * W,
          run.own.hi - run.own.lo,
          d,
          1 - d,
        );
      for (const c of run.chunks)
        k[names.average](byteOf(name) + c.lo * W, pBase(s) + c.lo * W, c.hi - c.lo, d, 1 - d);
    }
  }

  function stepPipelined(grads: readonly FloatArray[] | undefined): void {
    const name = names.update;
    const src = grads ?? work.leaves;
    const fn = kernelsFor(memory!)[name] as (...a: number[]) => void;
    const n = wasmRuns.length;
    if (n === 0) return;
    stageIn(wasmRuns[0]!.staging!, src, true);
    for (let i = 0; i < n; i++) {
      const run = wasmRuns[i]!;
      scalars.l2 = run.decayed ? decays.l2 : 0;
      scalars.wd = run.decayed ? decays.wd : 0;
      if (words || int8) roundingKeys(p, run.leaf, scalars.rounding.keys);
      for (const c of run.chunks) writeArgs(c.args, c.lo, c.hi, run);
      const own = run.own;
      if (own) writeArgs(own.args, own.lo, own.hi, run);
      pool!.runAlongside!(memory!, name, run.calls, () => {
        if (own) fn.apply(null, own.args);
        if (i > 0) finish(wasmRuns[i - 1]!);
        if (i + 1 < n) stageIn(wasmRuns[i + 1]!.staging!, src, true);
      });
    }
    finish(wasmRuns[n - 1]!);
  }

  /**
   * A leafwise kind's second half, for one leaf (a run): the kernel left its direction x in the
   * gradient buffer; the leaf's norms ‖p‖ and ‖x‖ give the trust ratio, then p ← p + x·ratio·(−lr).
   */
  function applyLeaf(run: Pass): void {
    const k = kernelsFor(memory!);
    const g = gBase(undefined);
    const sums = (base: number) => {
      const calls = run.chunks.map((c) => [base + c.lo * W, c.hi - c.lo]);
      let s = 0;
      if (pool) for (const x of pool.run(memory!, names.sumsq, calls)) s += x;
      else for (const [at, n] of calls) s += k[names.sumsq](at!, n!);
      return Math.sqrt(s);
    };
    const pNorm = sums(layout.base);
    const xNorm = sums(g);
    // As the chain: no scaling when either norm is 0 (a NaN norm scales by NaN)
    const scaled = pNorm !== 0 && xNorm !== 0 ? 1 : 0;
    const calls = run.chunks.map((c) => [
      layout.base + c.lo * W,
      g + c.lo * W,
      c.hi - c.lo,
      pNorm / xNorm,
      -scalars.lr,
      scaled,
    ]);
    if (pool) pool.run(memory!, names.lambApply, calls);
    else for (const a of calls) k[names.lambApply](a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
  }

  function stepWasm(core: boolean, grads: readonly FloatArray[] | undefined): void {
    foldAverage(core);
    if (pipelined) {
      if (core) {
        stepPipelined(grads);
        return;
      }
      // A step that only averages (the update was skipped): the params as they are.
      for (const run of wasmRuns) {
        stageIn(run.staging!, undefined, true);
        averagesHere(run);
      }
      return;
    }
    const name = names.update;
    const k = kernelsFor(memory!);
    const fn = k[name] as (...a: number[]) => void;
    for (const run of wasmRuns) {
      scalars.l2 = run.decayed ? decays.l2 : 0;
      scalars.wd = run.decayed ? decays.wd : 0;
      const s = run.staging;
      if (s) stageIn(s, core ? (grads ?? work.leaves) : undefined, true);
      if (core) {
        if (words || int8) roundingKeys(p, run.leaf, scalars.rounding.keys);
        for (const c of run.chunks) writeArgs(c.args, c.lo, c.hi, run);
        if (pool) pool.run(memory!, name, run.calls);
        else for (const c of run.chunks) fn.apply(null, c.args);
        if (mod.leafwise) applyLeaf(run);
      }
      for (let j = separate; j < averages.length; j++) {
        const calls = run.averageCalls[averageNames.indexOf(averages[j]!.name)]!;
        const { d } = averages[j]!;
        run.chunks.forEach((c, i) => {
          const a = calls[i]!;
          a.length = 0;
          a.push(byteOf(averages[j]!.name) + c.lo * W, pBase(s) + c.lo * W, c.hi - c.lo, d, 1 - d);
        });
        if (pool) pool.run(memory!, names.average, calls);
        else for (const a of calls) k[names.average](a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
      }
      if (s && core) for (const c of s.params) copy(c.user, c.scratch);
    }
  }

  return {
    kernel,
    threads,
    prepare,
    stagesGradients,
    run(grads) {
      const core = stop === "core";
      if (reporting.length > 0) {
        oldParams ??= mirror(layout, undefined).leaves;
        for (let i = 0; i < paramLeaves.length; i++) oldParams[i]!.set(paramLeaves[i]!);
      }
      // accumulateGradients: the sum grows, or the mean (computed by prepare) becomes the gradient.
      if (accIndex >= 0 && (core || reach >= accIndex)) {
        const acc = layers[accIndex]!.state as unknown as AccumulateState;
        if (realAccumulation) {
          for (let i = 0; i < acc.acc.length; i++) {
            work.leaves[i]!.set(mean![i]!);
            acc.acc[i]!.fill(0);
          }
        } else addInto(acc.acc, work.leaves);
      }
      averagesReached();
      if (core || averages.length > 0) {
        if (kernel === "wasm") stepWasm(core, grads);
        else stepJs(core);
      }
      if (core) {
        p.kind.commit?.(scalars, p.at);
        for (const c of p.counts) c.count += 1;
        if (p.clip) p.clip.state.totalNorm = coreNorm;
      }
      // The wrappers' own bookkeeping, for each wrapper the step reached.
      const upTo = core ? layers.length : reach + 1;
      for (let i = 0; i < upTo; i++) {
        const { fusion, state: s } = layers[i]!;
        const ended = !core && i === reach;
        if (fusion.kind === "skip-non-finite") {
          const skip = s as unknown as SkipState;
          if (ended) {
            skip.consecutive += 1;
            skip.skipped += 1;
          } else skip.consecutive = 0;
        } else if (fusion.kind === "accumulate") {
          const acc = s as unknown as AccumulateState;
          acc.miniStep = ended ? acc.miniStep + 1 : 0;
        } else if (fusion.kind === "inject-hyperparams") fusion.commit(s);
        else if (fusion.kind === "average") (s as unknown as AverageState).count += 1;
        else if (fusion.kind === "observe") {
          const clipScale = fusion.after(s);
          for (const r of reporting) if (r.index === i) r.clipScale = clipScale;
        }
      }
    },
    reports: () => reporting.length > 0,
    report() {
      if (reporting.length === 0) return;
      applied ??= paramLeaves.map((l) => new Float64Array(l.length));
      for (let i = 0; i < paramLeaves.length; i++) {
        const now = paramLeaves[i]!;
        const old = oldParams![i]!;
        const u = applied[i]!;
        for (let j = 0; j < u.length; j++) u[j] = now[j]! - old[j]!;
      }
      // Inner wrappers report first, as their updates run inside the outer ones'.
      for (let r = reporting.length - 1; r >= 0; r--) {
        const { index, before, clipScale } = reporting[r]!;
        const { fusion, state: s } = layers[index]!;
        if (fusion.kind === "observe") fusion.report(s, before, applied, oldParams!, params, clipScale);
      }
    },
    undoParams() {
      if (!oldParams) return;
      for (let i = 0; i < paramLeaves.length; i++) paramLeaves[i]!.set(oldParams[i]!);
    },
  };
}

/** `a ← d·a + (1 − d)·p` over [lo, hi) (as `ema`/`polyak` compute it, on the params as stored). */
function averageJs(a: FloatArray, p: FloatArray, lo: number, hi: number, d: number): void {
  for (let j = lo; j < hi; j++) a[j] = d * a[j]! + (1 - d) * p[j]!;
}

/** `acc ← acc + g`, leaf by leaf (the sum `accumulateGradients` keeps). */
function addInto(acc: readonly FloatArray[], g: readonly FloatArray[]): void {
  for (let i = 0; i < acc.length; i++) {
    const a = acc[i]!;
    const u = g[i]!;
    for (let j = 0; j < a.length; j++) a[j]! += u[j]!;
  }
}

/**
 * The mean `accumulateGradients` steps with, rounded as it stores it: (acc + g) in the sum's dtype,
 * then divided by k in the gradient's.
 */
function meanInto(
  out: readonly FloatArray[],
  acc: readonly FloatArray[],
  g: readonly FloatArray[],
  k: number,
): void {
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    const a = acc[i]!;
    const u = g[i]!;
    if (a instanceof Float32Array) for (let j = 0; j < o.length; j++) o[j] = Math.fround(a[j]! + u[j]!) / k;
    else for (let j = 0; j < o.length; j++) o[j] = (a[j]! + u[j]!) / k;
  }
}
