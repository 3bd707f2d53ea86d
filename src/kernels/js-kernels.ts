/**
 * Fused JavaScript kernels: one pass per element doing what the optimizer's chain does in several.
 * They reproduce the chain's arithmetic operation for operation, and `round` reproduces its storage
 * rounding between links (Math.fround for float32, identity for float64), so they are bit-identical
 * to the reference chain in both dtypes (tested). The portable fallback, and the baseline for WASM.
 */
import type { FloatArray } from "../tree.ts";

export type Round = (x: number) => number;
export const identity: Round = (x) => x;

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

export function adamJs(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray | undefined,
  from: number,
  to: number,
  s: AdamScalars,
  r: Round,
): void {
  const { coef, negate, l2, wd, b1, b2, bc1, bc2Sqrt, eps, amsgrad } = s;
  const step = -s.lr;
  for (let j = from; j < to; j++) {
    let u = coef === 1 ? g[j]! : r(g[j]! * coef);
    if (negate) u = -u;
    if (l2 !== 0) u = r(u + l2 * p[j]!);
    m[j] = b1 * m[j]! + (1 - b1) * u;
    v[j] = b2 * v[j]! + (1 - b2) * u * u;
    let vv = v[j]!;
    if (amsgrad) {
      if (vv > vmax![j]!) vmax![j] = vv;
      vv = vmax![j]!;
    }
    u = r(m[j]! / bc1 / (Math.sqrt(vv) / bc2Sqrt + eps));
    if (wd !== 0) u = r(u + wd * p[j]!);
    p[j]! += r(u * step);
  }
}

/** Heavy-ball/Nesterov momentum exactly as `trace`: b ← u on the first update. */
function momentum(u: number, b: FloatArray, j: number, s: MomentumScalars, r: Round): number {
  b[j] = s.first ? u : s.mu * b[j]! + s.keep * u;
  return s.nesterov ? r(u + s.mu * b[j]!) : b[j]!;
}

export function sgdJs(
  p: FloatArray,
  g: FloatArray,
  b: FloatArray | undefined,
  from: number,
  to: number,
  s: SgdScalars,
  r: Round,
): void {
  const { coef, negate, l2, wd, hasMomentum } = s;
  const step = -s.lr;
  for (let j = from; j < to; j++) {
    let u = coef === 1 ? g[j]! : r(g[j]! * coef);
    if (negate) u = -u;
    if (l2 !== 0) u = r(u + l2 * p[j]!);
    if (hasMomentum) u = momentum(u, b!, j, s, r);
    if (wd !== 0) u = r(u + wd * p[j]!);
    p[j]! += r(u * step);
  }
}

export function rmspropJs(
  p: FloatArray,
  g: FloatArray,
  sq: FloatArray,
  avg: FloatArray | undefined,
  b: FloatArray | undefined,
  from: number,
  to: number,
  s: RmspropScalars,
  r: Round,
): void {
  const { coef, negate, l2, wd, alpha, eps, centered, hasMomentum } = s;
  const step = -s.lr;
  for (let j = from; j < to; j++) {
    let u = coef === 1 ? g[j]! : r(g[j]! * coef);
    if (negate) u = -u;
    if (l2 !== 0) u = r(u + l2 * p[j]!);
    sq[j] = alpha * sq[j]! + (1 - alpha) * u * u;
    let variance = sq[j]!;
    if (centered) {
      avg![j] = alpha * avg![j]! + (1 - alpha) * u;
      variance -= avg![j]! * avg![j]!;
    }
    u = r(u / (Math.sqrt(variance) + eps));
    if (hasMomentum) u = momentum(u, b!, j, s, r);
    if (wd !== 0) u = r(u + wd * p[j]!);
    p[j]! += r(u * step);
  }
}

export function adagradJs(
  p: FloatArray,
  g: FloatArray,
  sum: FloatArray,
  from: number,
  to: number,
  s: AdagradScalars,
  r: Round,
): void {
  const { coef, negate, l2, wd, eps } = s;
  const step = -s.lr;
  for (let j = from; j < to; j++) {
    let u = coef === 1 ? g[j]! : r(g[j]! * coef);
    if (negate) u = -u;
    if (l2 !== 0) u = r(u + l2 * p[j]!);
    sum[j]! += u * u;
    u = r(u / (Math.sqrt(sum[j]!) + eps));
    if (wd !== 0) u = r(u + wd * p[j]!);
    p[j]! += r(u * step);
  }
}

export interface LionScalars extends Scalars {
  b1: number;
  b2: number;
}

/** Lion: the sign of β1·m + (1−β1)·u, then m ← β2·m + (1−β2)·u. */
export function lionJs(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  from: number,
  to: number,
  s: LionScalars,
  r: Round,
): void {
  const { coef, negate, wd, b1, b2 } = s;
  const step = -s.lr;
  for (let j = from; j < to; j++) {
    let u = coef === 1 ? g[j]! : r(g[j]! * coef);
    if (negate) u = -u;
    const c = b1 * m[j]! + (1 - b1) * u;
    m[j] = b2 * m[j]! + (1 - b2) * u;
    u = Math.sign(c);
    if (wd !== 0) u = r(u + wd * p[j]!);
    p[j]! += r(u * step);
  }
}
