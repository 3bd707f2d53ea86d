/**
 * Fused JavaScript kernels: one pass per element doing what the optimizer's chain does in several.
 * They reproduce the chain's arithmetic operation for operation, and round to the storage dtype
 * wherever the chain stores a value between links (Math.fround for float32, nothing for float64), so
 * they are bit-identical to the reference chain in both dtypes (tested). The portable fallback, and
 * the baseline for WASM.
 *
 * How they are kept fast without generating code (each point measured with `bench/js-kernels.ts`):
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
 *   momentum ~30%, Lion ~40%). The
 *   general pair, with every flag a plain loop-invariant branch, covers the rest.
 * Correctness depends on none of this: if V8 did not inline, the same arithmetic runs, slower.
 */
import type { FloatArray } from "../tree.js";

/** Scalars shared by every kernel: u ← round(g·coef) (clip and maximize folded in), L2, decay, lr. */
export interface Scalars {
  coef: number;
  negate: boolean;
  l2: number;
  wd: number;
  lr: number;
}

export interface AdamScalars extends Scalars {
  b1: number;
  b2: number;
  bc1: number;
  bc2Sqrt: number;
  eps: number;
  amsgrad: boolean;
}

export interface MomentumScalars {
  /** 0: no momentum buffer. */
  hasMomentum: boolean;
  mu: number;
  keep: number;
  first: boolean;
  nesterov: boolean;
}

export interface SgdScalars extends Scalars, MomentumScalars {}

export interface RmspropScalars extends Scalars, MomentumScalars {
  alpha: number;
  eps: number;
  centered: boolean;
}

export interface AdagradScalars extends Scalars {
  eps: number;
}

export interface LionScalars extends Scalars {
  b1: number;
  b2: number;
}

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

/** The scalars every kernel takes, as the loops read them. */
function common(k: Common, s: Scalars): void {
  k.coef = s.coef;
  k.negate = s.negate;
  k.l2 = s.l2;
  k.wd = s.wd;
  k.step = -s.lr;
}
const COMMON = { coef: 1, negate: false, l2: 0, wd: 0, step: 0 };
type Common = typeof COMMON;

const MOMENTUM = { hasMomentum: false, mu: 0, keep: 1, first: false, nesterov: false };
function momentumScalars(k: typeof MOMENTUM, s: MomentumScalars, b: FloatArray | undefined): void {
  k.hasMomentum = s.hasMomentum && b !== undefined;
  k.mu = s.mu;
  k.keep = s.keep;
  k.first = s.first;
  k.nesterov = s.nesterov;
}

// ---- Adam / AdamW (AMSGrad, L2, maximize) ----

const ADAM = { ...COMMON, b1: 0, c1: 0, b2: 0, c2: 0, bc1: 1, bc2Sqrt: 1, eps: 0, amsgrad: false };

function adamAt(
  p: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray,
  j: number,
  gj: number,
  pj: number,
  mj: number,
  vj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  bc1: number,
  bc2Sqrt: number,
  eps: number,
  amsgrad: boolean,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  mj = st(b1 * mj + c1 * u, f32);
  m[j] = mj;
  vj = st(b2 * vj + c2 * u * u, f32);
  v[j] = vj;
  if (amsgrad) {
    const x = vmax[j]!;
    if (vj > x) vmax[j] = vj;
    else vj = x;
  }
  apply(p, j, pj, st(mj / bc1 / (Math.sqrt(vj) / bc2Sqrt + eps), f32), wd, step, f32);
}

type AdamLoop = (
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray,
  from: number,
  to: number,
  k: typeof ADAM,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adam32: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad, true);
};

// biome-ignore format: as above
const adam64: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad, false);
};

// The common case without clipping, maximize or AMSGrad: those flags as constants.
// biome-ignore format: as above
const adamSimple32: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, 1, false, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, false, true);
};

// biome-ignore format: as above
const adamSimple64: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, 1, false, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, false, false);
};

export function adamJs(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray | undefined,
  from: number,
  to: number,
  s: AdamScalars,
): void {
  const k = ADAM;
  common(k, s);
  k.b1 = s.b1;
  k.c1 = 1 - s.b1;
  k.b2 = s.b2;
  k.c2 = 1 - s.b2;
  k.bc1 = s.bc1;
  k.bc2Sqrt = s.bc2Sqrt;
  k.eps = s.eps;
  k.amsgrad = s.amsgrad && vmax !== undefined;
  // Without AMSGrad, `vmax` is never touched: any array of the dtype stands in.
  const simple = k.coef === 1 && !k.negate && !k.amsgrad;
  const f32 = p instanceof Float32Array;
  (simple ? (f32 ? adamSimple32 : adamSimple64) : f32 ? adam32 : adam64)(p, g, m, v, vmax ?? v, from, to, k);
}

// ---- SGD (momentum, dampening, Nesterov, L2, decoupled decay) ----

const SGD = { ...COMMON, ...MOMENTUM };

function sgdAt(
  p: FloatArray,
  b: FloatArray,
  j: number,
  gj: number,
  pj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  hasMomentum: boolean,
  mu: number,
  keep: number,
  first: boolean,
  nesterov: boolean,
  f32: boolean,
): void {
  let u = input(gj, pj, coef, negate, l2, f32);
  if (hasMomentum) u = momentum(b, j, u, mu, keep, first, nesterov, f32);
  apply(p, j, pj, u, wd, step, f32);
}

type SgdLoop = (p: FloatArray, g: FloatArray, b: FloatArray, from: number, to: number, k: typeof SGD) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const sgd32: SgdLoop = (p, g, b, from, to, k) => {
  const { coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov, true);
};

// biome-ignore format: as above
const sgd64: SgdLoop = (p, g, b, from, to, k) => {
  const { coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov, false);
};

// The common case without clipping, maximize or first step, with momentum: the flags as constants.
// biome-ignore format: as above
const sgdSimple32: SgdLoop = (p, g, b, from, to, k) => {
  const { l2, wd, step, mu, keep, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, 1, false, l2, wd, step, true, mu, keep, false, nesterov, true);
};

// biome-ignore format: as above
const sgdSimple64: SgdLoop = (p, g, b, from, to, k) => {
  const { l2, wd, step, mu, keep, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, 1, false, l2, wd, step, true, mu, keep, false, nesterov, false);
};

export function sgdJs(
  p: FloatArray,
  g: FloatArray,
  b: FloatArray | undefined,
  from: number,
  to: number,
  s: SgdScalars,
): void {
  const k = SGD;
  common(k, s);
  momentumScalars(k, s, b);
  const simple = k.coef === 1 && !k.negate && k.hasMomentum && !k.first;
  const f32 = p instanceof Float32Array;
  (simple ? (f32 ? sgdSimple32 : sgdSimple64) : f32 ? sgd32 : sgd64)(p, g, b ?? p, from, to, k);
}

// ---- RMSprop (centered, momentum, L2, decoupled decay) ----

const RMSPROP = { ...COMMON, ...MOMENTUM, alpha: 0, ca: 1, eps: 0, centered: false };

function rmspropAt(
  p: FloatArray,
  sq: FloatArray,
  avg: FloatArray,
  b: FloatArray,
  j: number,
  gj: number,
  pj: number,
  sqj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  alpha: number,
  ca: number,
  eps: number,
  centered: boolean,
  hasMomentum: boolean,
  mu: number,
  keep: number,
  first: boolean,
  nesterov: boolean,
  f32: boolean,
): void {
  let u = input(gj, pj, coef, negate, l2, f32);
  sqj = st(alpha * sqj + ca * u * u, f32);
  sq[j] = sqj;
  let variance = sqj;
  if (centered) {
    const a = st(alpha * avg[j]! + ca * u, f32);
    avg[j] = a;
    variance -= a * a;
  }
  u = st(u / (Math.sqrt(variance) + eps), f32);
  if (hasMomentum) u = momentum(b, j, u, mu, keep, first, nesterov, f32);
  apply(p, j, pj, u, wd, step, f32);
}

type RmspropLoop = (
  p: FloatArray,
  g: FloatArray,
  sq: FloatArray,
  avg: FloatArray,
  b: FloatArray,
  from: number,
  to: number,
  k: typeof RMSPROP,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const rmsprop32: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov, true);
};

// biome-ignore format: as above
const rmsprop64: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov, false);
};

// The common case without clipping, maximize, centering or momentum: those flags as constants.
// biome-ignore format: as above
const rmspropSimple32: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { l2, wd, step, alpha, ca, eps } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, 1, false, l2, wd, step, alpha, ca, eps, false, false, 0, 0, false, false, true);
};

// biome-ignore format: as above
const rmspropSimple64: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { l2, wd, step, alpha, ca, eps } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, 1, false, l2, wd, step, alpha, ca, eps, false, false, 0, 0, false, false, false);
};

export function rmspropJs(
  p: FloatArray,
  g: FloatArray,
  sq: FloatArray,
  avg: FloatArray | undefined,
  b: FloatArray | undefined,
  from: number,
  to: number,
  s: RmspropScalars,
): void {
  const k = RMSPROP;
  common(k, s);
  momentumScalars(k, s, b);
  k.alpha = s.alpha;
  k.ca = 1 - s.alpha;
  k.eps = s.eps;
  k.centered = s.centered && avg !== undefined;
  const simple = k.coef === 1 && !k.negate && !k.centered && !k.hasMomentum;
  const f32 = p instanceof Float32Array;
  (simple ? (f32 ? rmspropSimple32 : rmspropSimple64) : f32 ? rmsprop32 : rmsprop64)(
    p,
    g,
    sq,
    avg ?? sq,
    b ?? sq,
    from,
    to,
    k,
  );
}

// ---- Adagrad (L2, decoupled decay; lr decay is in `lr`) ----

const ADAGRAD = { ...COMMON, eps: 0 };

function adagradAt(
  p: FloatArray,
  sum: FloatArray,
  j: number,
  gj: number,
  pj: number,
  sumj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  eps: number,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  sumj = st(sumj + u * u, f32);
  sum[j] = sumj;
  apply(p, j, pj, st(u / (Math.sqrt(sumj) + eps), f32), wd, step, f32);
}

type AdagradLoop = (
  p: FloatArray,
  g: FloatArray,
  sum: FloatArray,
  from: number,
  to: number,
  k: typeof ADAGRAD,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adagrad32: AdagradLoop = (p, g, sum, from, to, k) => {
  const { coef, negate, l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, coef, negate, l2, wd, step, eps, true);
};

// biome-ignore format: as above
const adagrad64: AdagradLoop = (p, g, sum, from, to, k) => {
  const { coef, negate, l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, coef, negate, l2, wd, step, eps, false);
};

// The common case without clipping or maximize: those flags as constants.
// biome-ignore format: as above
const adagradSimple32: AdagradLoop = (p, g, sum, from, to, k) => {
  const { l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, 1, false, l2, wd, step, eps, true);
};

// biome-ignore format: as above
const adagradSimple64: AdagradLoop = (p, g, sum, from, to, k) => {
  const { l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, 1, false, l2, wd, step, eps, false);
};

export function adagradJs(
  p: FloatArray,
  g: FloatArray,
  sum: FloatArray,
  from: number,
  to: number,
  s: AdagradScalars,
): void {
  const k = ADAGRAD;
  common(k, s);
  k.eps = s.eps;
  const simple = k.coef === 1 && !k.negate;
  const f32 = p instanceof Float32Array;
  (simple ? (f32 ? adagradSimple32 : adagradSimple64) : f32 ? adagrad32 : adagrad64)(p, g, sum, from, to, k);
}

// ---- Lion (decoupled decay) ----

const LION = { ...COMMON, b1: 0, c1: 0, b2: 0, c2: 0 };

/** Lion: the sign of β1·m + (1−β1)·u, then m ← β2·m + (1−β2)·u. */
function lionAt(
  p: FloatArray,
  m: FloatArray,
  j: number,
  gj: number,
  pj: number,
  mj: number,
  coef: number,
  negate: boolean,
  wd: number,
  step: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, 0, f32);
  const c = b1 * mj + c1 * u;
  m[j] = st(b2 * mj + c2 * u, f32);
  apply(p, j, pj, Math.sign(c), wd, step, f32);
}

type LionLoop = (
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  from: number,
  to: number,
  k: typeof LION,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const lion32: LionLoop = (p, g, m, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, coef, negate, wd, step, b1, c1, b2, c2, true);
};

// biome-ignore format: as above
const lion64: LionLoop = (p, g, m, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, coef, negate, wd, step, b1, c1, b2, c2, false);
};

// The common case without clipping or maximize: those flags as constants.
// biome-ignore format: as above
const lionSimple32: LionLoop = (p, g, m, from, to, k) => {
  const { wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, 1, false, wd, step, b1, c1, b2, c2, true);
};

// biome-ignore format: as above
const lionSimple64: LionLoop = (p, g, m, from, to, k) => {
  const { wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, 1, false, wd, step, b1, c1, b2, c2, false);
};

export function lionJs(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  from: number,
  to: number,
  s: LionScalars,
): void {
  const k = LION;
  common(k, s);
  k.b1 = s.b1;
  k.c1 = 1 - s.b1;
  k.b2 = s.b2;
  k.c2 = 1 - s.b2;
  const simple = k.coef === 1 && !k.negate;
  const f32 = p instanceof Float32Array;
  (simple ? (f32 ? lionSimple32 : lionSimple64) : f32 ? lion32 : lion64)(p, g, m, from, to, k);
}
