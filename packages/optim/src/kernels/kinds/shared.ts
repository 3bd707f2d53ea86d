/**
 * What the kinds share: the JS kernels' element helpers (input, storage rounding, the last links,
 * momentum), the loops' common scalars, momentum's per-step scalars, and the WASM parameters every
 * kernel takes.
 *
 * The JS kernels reproduce the chain's arithmetic operation for operation, and round to the storage
 * dtype wherever the chain stores a value between links (Math.fround for float32, nothing for
 * float64), so they are bit-identical to the reference chain in both dtypes (tested). They are the
 * portable fallback, and the baseline for WASM.
 *
 * How they are kept fast without generating code (each point measured with `tools/bench/js-kernels.ts`):
 * - The math of each optimizer is written once, in a per-element function (`adamAt`, …) that takes
 *   the element's values, the step's scalars and a flag `f32`. Each loop exists twice, once per
 *   dtype, the two differing only in the literal `true`/`false` they pass: V8 inlines the element function
 *   into each loop and folds the flag, leaving direct `Math.fround` calls in one loop and no rounding
 *   in the other (a rounding function passed as a value stays a call once both dtypes have run).
 * - Each loop is its own function, so V8 sees only Float32Arrays in one and only Float64Arrays in the
 *   other: the loop reads every buffer the kernel always uses (monomorphic loads, which also tell the
 *   inlined element function which array type it writes to). A buffer only some configurations use
 *   (AMSGrad's maximum, the momentum buffer, RMSprop's average) is read inside its flag's branch, so
 *   the configurations without it do not pay for the load.
 * - The loop copies the scalars into locals before it starts (a parameter or a property read inside
 *   the loop is checked and unboxed again on every iteration); they are derived once per call into
 *   one reused object per kernel, so a step allocates nothing.
 * - Each kernel has a second pair of loops for its common case, passing the flags that case leaves
 *   off as constants (clip coefficient 1, no maximize, no AMSGrad; for SGD momentum past the first
 *   step; for RMSprop neither centering nor momentum): V8 drops their branches. Kernels bound by
 *   division and square root gain little (Adam ~7%), the others more (RMSprop ~20%, SGD with
 *   momentum ~30%, Lion ~40%). The general pair, with every flag a plain loop-invariant branch,
 *   covers the rest.
 * Correctness depends on none of this: if V8 did not inline, the same arithmetic runs, slower.
 */
import { type Hyper, valueAt } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import {
  type BufferSpec,
  f32,
  f64,
  flag,
  int32,
  type Scalars,
  type WasmParam,
  type WordBuffers,
} from "./kind.js";

// ---- JS: element helpers (inlined into every loop) ----

/** Storage rounding. `f32` is a literal at every loop, so once inlined this is Math.fround or nothing. */
function st(x: number, f32: boolean): number {
  return f32 ? Math.fround(x) : x;
}

/** The gradient as the optimizer sees it: round(g·coef) (clip), negated (maximize), then + L2·p. */
function input(gj: number, pj: number, coef: number, negate: boolean, l2: number, f32: boolean): number {
  let u = coef === 1 ? gj : st(gj * coef, f32);
  if (negate) u = -u;
  if (l2 !== 0) u = st(u + l2 * pj, f32);
  return u;
}

/** The last links: decoupled decay, then p ← p + round(u·(−lr)), stored. */
function apply(
  p: FloatArray,
  j: number,
  pj: number,
  u: number,
  wd: number,
  step: number,
  f32: boolean,
): void {
  if (wd !== 0) u = st(u + wd * pj, f32);
  p[j] = pj + st(u * step, f32);
}

/** Heavy-ball/Nesterov momentum exactly as `trace`: b ← u on the first update. */
function momentum(
  b: FloatArray,
  j: number,
  u: number,
  mu: number,
  keep: number,
  first: boolean,
  nesterov: boolean,
  f32: boolean,
): number {
  const bj = first ? u : st(mu * b[j]! + keep * u, f32);
  b[j] = bj;
  return nesterov ? st(u + mu * bj, f32) : bj;
}

/**
 * The element helpers, for the kinds' modules to bind once as module-local constants
 * (`const { apply, input, st } = ELEMENT`): calls in their loops then go straight to the functions,
 * and V8 inlines them, even where a toolchain turns imported bindings into getters read on every
 * call (esbuild's CommonJS output does: the loops ran 5–10× slower through those).
 */
export const ELEMENT = { st, input, apply, momentum };

// ---- JS: the loops' scalars ----

/** The scalars every loop takes, as the loops read them (`step` = −lr). */
export const LOOP_COMMON = { coef: 1, negate: false, l2: 0, wd: 0, step: 0 };
export type LoopCommon = typeof LOOP_COMMON;

/** Copies the common scalars into a loop's scalars object. */
export function loopCommon(k: LoopCommon, s: Scalars): void {
  k.coef = s.coef;
  k.negate = s.negate;
  k.l2 = s.l2;
  k.wd = s.wd;
  k.step = -s.lr;
}

// ---- two moving averages (Adam, NAdam, RAdam, Lion): β1, β2 and their complements ----

/** The scalars of two moving averages, as a kind's `resolve` sets them. */
export interface BetaScalars {
  b1: number;
  b2: number;
}

/** The loops' copies: β1, 1 − β1, β2, 1 − β2. */
export const LOOP_BETAS = { b1: 0, c1: 0, b2: 0, c2: 0 };

/** Copies the betas and their complements into a loop's scalars object. */
export function loopBetas(k: typeof LOOP_BETAS, s: BetaScalars): void {
  k.b1 = s.b1;
  k.c1 = 1 - s.b1;
  k.b2 = s.b2;
  k.c2 = 1 - s.b2;
}

/** The WASM parameters of the betas: f32 b1, c1, b2, c2 (splatted `$Sb1`…). */
export const WASM_BETAS: readonly WasmParam<Scalars & BetaScalars>[] = [
  f32("b1", (s) => s.b1),
  f32("c1", (s) => 1 - s.b1),
  f32("b2", (s) => s.b2),
  f32("c2", (s) => 1 - s.b2),
];

// ---- Adam's direction (Adam, RAdam, LAMB): the betas, the bias corrections, ε ----

/** Adam's per-step scalars: the betas, the bias corrections 1 − β1ᵗ and √(1 − β2ᵗ), and ε. */
export interface AdamScalarsBase extends BetaScalars {
  bc1: number;
  bc2Sqrt: number;
  eps: number;
}

/**
 * Adam's scalars at step t = count + 1 (β1 read from its schedule, range-checked); without bias
 * correction (LAMB's option) both corrections are 1.
 */
export function resolveAdam(
  spec: { owner: string; beta1: Hyper; beta2: number; eps: number },
  s: AdamScalarsBase,
  count: number,
  biasCorrection = true,
): void {
  const b1 = valueAt(spec.owner, "betas[0]", spec.beta1, count, "[0, 1)");
  const t = count + 1;
  s.b1 = b1;
  s.b2 = spec.beta2;
  s.bc1 = biasCorrection ? 1 - b1 ** t : 1;
  s.bc2Sqrt = biasCorrection ? Math.sqrt(1 - spec.beta2 ** t) : 1;
  s.eps = spec.eps;
}

/** The loops' copies of Adam's scalars. */
export const LOOP_ADAM = { ...LOOP_BETAS, bc1: 1, bc2Sqrt: 1, eps: 0 };

/** Copies Adam's scalars into a loop's scalars object. */
export function loopAdam(k: typeof LOOP_ADAM, s: AdamScalarsBase): void {
  loopBetas(k, s);
  k.bc1 = s.bc1;
  k.bc2Sqrt = s.bc2Sqrt;
  k.eps = s.eps;
}

// ---- momentum (SGD, RMSprop) ----

/** Momentum's scalars (as `trace` runs it). */
export interface MomentumScalars {
  /** False: no momentum buffer. */
  hasMomentum: boolean;
  mu: number;
  keep: number;
  first: boolean;
  nesterov: boolean;
}

export function momentumScalars(): MomentumScalars {
  return { hasMomentum: false, mu: 0, keep: 1, first: false, nesterov: false };
}

export const LOOP_MOMENTUM = momentumScalars();

/** Copies momentum's scalars into a loop's scalars object (off when the buffer is absent). */
export function loopMomentum(k: MomentumScalars, s: MomentumScalars, b: FloatArray | undefined): void {
  k.hasMomentum = s.hasMomentum && b !== undefined;
  k.mu = s.mu;
  k.keep = s.keep;
  k.first = s.first;
  k.nesterov = s.nesterov;
}

/** Momentum's scalars at this step, read from the `trace` state that holds the momentum buffer. */
export function resolveMomentum(
  owner: string,
  s: MomentumScalars,
  trace: { count: number } | undefined,
  momentum: Hyper,
  dampening: number,
  nesterov: boolean,
): void {
  s.hasMomentum = trace !== undefined;
  s.mu = trace ? valueAt(owner, "momentum", momentum, trace.count, "[0, 1]") : 0;
  s.keep = 1 - dampening;
  s.first = trace?.count === 0;
  s.nesterov = nesterov;
}

// ---- WASM: the parameters every kernel takes ----

/** coef (±, with maximize), l2, wd, −lr: the first f32 parameters of every kernel. */
export const WASM_SCALARS: readonly WasmParam<Scalars>[] = [
  f32("coef", (s) => (s.negate ? -s.coef : s.coef)),
  f32("l2", (s) => s.l2),
  f32("wd", (s) => s.wd),
  f32("nlr", (s) => -s.lr),
];

/** The common scalars as f64 parameters (the 8-bit kernels compute in float64, as the chain). */
export const WASM_SCALARS64: readonly WasmParam<Scalars>[] = [
  f64("coef", (s) => (s.negate ? -s.coef : s.coef)),
  f64("l2", (s) => s.l2),
  f64("wd", (s) => s.wd),
  f64("nlr", (s) => -s.lr),
];

/** The flags every kernel ends with: u is scaled (clip or maximize), L2 is added, decay is added. */
export const WASM_FLAGS: readonly WasmParam<Scalars>[] = [
  flag("scaled", (s) => s.negate || s.coef !== 1),
  flag("hasL2", (s) => s.l2 !== 0),
  flag("hasWd", (s) => s.wd !== 0),
];

/**
 * The parameters every kernel ends with: an `ema`/`polyak` average folded into the pass — after p is
 * written, a ← d·a + c·p at byte offset `avg` (when `hasAverage`), saving a second pass over p.
 */
export const WASM_AVERAGE: readonly WasmParam<Scalars>[] = [
  { name: "avg", type: "i32", value: (s) => s.average.at },
  f32("ad", (s) => s.average.d),
  f32("ac", (s) => s.average.c),
  flag("hasAverage", (s) => s.average.on),
];

/** The betas and their complements as f64 parameters (bfloat16-state kernels compute the moments in float64). */
export const WASM_BETAS64: readonly WasmParam<Scalars & BetaScalars>[] = [
  f64("b1", (s) => s.b1),
  f64("c1", (s) => 1 - s.b1),
  f64("b2", (s) => s.b2),
  f64("c2", (s) => 1 - s.b2),
];

/**
 * A one-buffer kind's loop over [from, to) with its buffer stored as bfloat16: the element's index
 * in its leaf is `first + j − from`, `key` its rounding key, `f32` the params' dtype.
 */
export type WordLoop = (
  p: FloatArray,
  g: FloatArray,
  b: Uint16Array,
  from: number,
  to: number,
  first: number,
  key: number,
  f32: boolean,
) => void;

/**
 * A several-buffer kind's loop over [from, to) with its buffers stored as bfloat16: as `WordLoop`,
 * with buffer k's rounding key `keys[k]`.
 */
export type WordsLoop<D extends BufferSpec> = (
  p: FloatArray,
  g: FloatArray,
  b: WordBuffers<D>,
  from: number,
  to: number,
  first: number,
  keys: readonly number[],
  f32: boolean,
) => void;

/**
 * The parameters a bfloat16-state kernel ends with: the index in its leaf of the call's first
 * element, and the rounding keys of the kind's first three buffers (`Scalars.rounding`).
 */
export const WASM_ROUNDING: readonly WasmParam<Scalars>[] = [
  int32("index0", (s) => s.rounding.first),
  int32("key0", (s) => s.rounding.keys[0]!),
  int32("key1", (s) => s.rounding.keys[1]!),
  int32("key2", (s) => s.rounding.keys[2]!),
];

/** The 8-bit kernels' last parameter: the byte offset of the codes' tables in the memory (`int8-tables.ts`). */
export const WASM_INT8_TABLES: readonly WasmParam<Scalars>[] = [int32("tables", (s) => s.rounding.tables)];

/** Momentum's WASM parameters (SGD, RMSprop): f32 mu, keep; then flags. */
export const WASM_MOMENTUM_SCALARS: readonly WasmParam<Scalars & MomentumScalars>[] = [
  f32("mu", (s) => s.mu),
  f32("keep", (s) => s.keep),
];
/** μ and 1 − dampening as f64 parameters (the bfloat16 kernels compute the momentum as the chain does). */
export const WASM_MOMENTUM_SCALARS64: readonly WasmParam<Scalars & MomentumScalars>[] = [
  f64("mu", (s) => s.mu),
  f64("keep", (s) => s.keep),
];
export const WASM_MOMENTUM_FLAGS: readonly WasmParam<Scalars & MomentumScalars>[] = [
  flag("hasMomentum", (s) => s.hasMomentum),
  flag("first", (s) => s.first),
  flag("nesterov", (s) => s.nesterov),
];

/** Why a kind with 8-bit moments runs on the reference chain: only Adam's have a kernel. */
export const INT8_ADAM_ONLY = {
  unsupported:
    "the fused kernels run Adam's 8-bit moments only (its WASM kernel): the reference chain runs these",
} as const;
