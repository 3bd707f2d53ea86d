/** Vector p-norms as PyTorch computes them (∞: largest magnitude; NaN propagates). */
import { showValue } from "../hyper.js";
import type { FloatArray } from "../tree.js";

export function pNorm(a: ArrayLike<number>, p: number, from = 0, to = a.length): number {
  if (p === Infinity) {
    let m = 0;
    for (let j = from; j < to; j++) {
      const x = Math.abs(a[j]!);
      if (Number.isNaN(x)) return x; // NaN wins, as in torch
      if (x > m) m = x;
    }
    return m;
  }
  let s = 0;
  if (p === 2) {
    for (let j = from; j < to; j++) s += a[j]! * a[j]!;
    return Math.sqrt(s);
  }
  if (p === 1) {
    for (let j = from; j < to; j++) s += Math.abs(a[j]!);
    return s;
  }
  let largest = 0;
  for (let j = from; j < to; j++) {
    const x = Math.abs(a[j]!);
    s += x ** p;
    if (x > largest) largest = x;
  }
  // A p so small that 1/p overflows: each non-zero |x|^p rounds to 1, and the limit is |x| for a
  // single non-zero entry (where 1^∞ would give NaN) and ∞ for several.
  if (s === 1 && !Number.isFinite(1 / p)) return largest;
  return s ** (1 / p);
}

/** torch's total norm: the p-norm of the per-leaf p-norms. */
export function leavesNorm(leaves: readonly FloatArray[], p: number): number {
  return pNorm(
    leaves.map((l) => pNorm(l, p)),
    p,
  );
}

/** Checks a norm type: a positive number or Infinity. */
export function checkNormType(owner: string, normType: unknown): number {
  if (typeof normType !== "number" || !(normType > 0)) {
    throw new RangeError(`${owner}: normType must be a number > 0 or Infinity, got ${showValue(normType)}`);
  }
  return normType;
}
