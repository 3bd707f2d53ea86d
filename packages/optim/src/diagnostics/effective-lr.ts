/**
 * The effective per-coordinate learning rate of Adam's preconditioner, `lr/(√(v/(1−β2ᵗ)) + ε)`, read
 * from the state after the update (t = the state's count): the factor by which Adam turns its
 * bias-corrected first moment into a step (the 1/(1−β1ᵗ) of m is not included).
 *
 * Cost: one pass over v for the exact per-leaf and global min and max (the effective lr decreases as
 * v grows, so they come from v's max and min: no square root per coordinate), and, for the
 * percentiles, a square root and a division for each of at most `sampleSize` coordinates and a
 * quickselect of the needed order statistics (≈ 0.25 ms at the default size, on top of ≈ 0.8 ms for
 * the pass over 1e6 float32 values). With more than `sampleSize` coordinates the percentiles come from a stratified random
 * sample: the global index range is cut into `sampleSize` equal strata and one coordinate drawn
 * uniformly in each (seeded, so a report is reproducible; no aliasing with periodic layouts). Its rank
 * error is at most that of a simple random sample, √(q(1−q)/sampleSize): 0.55 percentile points at
 * 1σ for the median with the default 8192.
 */
import { rng } from "../rng.js";
import type { FloatArray } from "../tree.js";
import type { EffectiveLrStats } from "./stats.js";

export interface EffectiveLrInput {
  v: readonly FloatArray[];
  lr: number;
  beta2: number;
  eps: number;
  /** The Adam count t after the update. */
  count: number;
  sampleSize: number;
  seed: number;
}

/**
 * Percentiles qs (ascending, in [0, 1]) of `a`, interpolating linearly between order statistics
 * (numpy's default). Reorders `a`: each needed order statistic is put in place by quickselect, O(n)
 * each instead of a sort.
 */
export function percentiles(a: Float64Array, qs: readonly number[]): number[] {
  const n = a.length;
  if (n === 0) return qs.map(() => Number.NaN);
  let from = 0;
  return qs.map((q) => {
    const pos = q * (n - 1);
    const lo = Math.floor(pos);
    select(a, lo, from, n - 1);
    from = lo;
    const x = a[lo]!;
    if (pos === lo) return x;
    let y = Infinity; // the next order statistic: the smallest of what lies right of lo
    for (let j = lo + 1; j < n; j++) if (a[j]! < y) y = a[j]!;
    return x + (pos - lo) * (y - x);
  });
}

/** Hoare's quickselect (median-of-three pivot): a[k] becomes the k-th smallest of a[left..right]. */
function select(a: Float64Array, k: number, left: number, right: number): void {
  const swap = (i: number, j: number) => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  while (right > left) {
    const mid = (left + right) >> 1;
    if (a[mid]! < a[left]!) swap(mid, left);
    if (a[right]! < a[left]!) swap(right, left);
    if (a[right]! < a[mid]!) swap(right, mid);
    const pivot = a[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return; // j < k < i: a[k] equals the pivot
  }
}

/** The global summary and each leaf's [min, max]; null when no coordinate has a finite v. */
export function effectiveLr(input: EffectiveLrInput): {
  global: EffectiveLrStats | null;
  leaves: ({ min: number; max: number } | null)[];
} {
  const { v: vs, lr, eps, sampleSize } = input;
  const sqrtBc2 = Math.sqrt(1 - input.beta2 ** input.count);
  const f = (v: number) => lr / (Math.sqrt(v) / sqrtBc2 + eps);
  let total = 0;
  let finite = 0;
  let vMin = Infinity;
  let vMax = -Infinity;
  const leaves = vs.map((v) => {
    // v ≥ 0, so a finite sum means every entry is finite and nothing needs counting (Math.min and
    // Math.max compile to branch-free instructions; a NaN would spoil them, and the sum with them)
    let lo = Infinity;
    let hi = -Infinity;
    let lo1 = Infinity;
    let hi1 = -Infinity;
    let sum = 0;
    let sum1 = 0;
    const n2 = v.length - (v.length % 2);
    for (let j = 0; j < n2; j += 2) {
      const x = v[j]!;
      const y = v[j + 1]!;
      sum += x;
      sum1 += y;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      lo1 = Math.min(lo1, y);
      hi1 = Math.max(hi1, y);
    }
    if (n2 < v.length) {
      const x = v[n2]!;
      sum += x;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    sum += sum1;
    lo = Math.min(lo, lo1);
    hi = Math.max(hi, hi1);
    let n = v.length;
    if (!(sum - sum === 0)) {
      n = 0;
      lo = Infinity;
      hi = -Infinity;
      for (let j = 0; j < v.length; j++) {
        const x = v[j]!;
        if (x - x !== 0) continue;
        n += 1;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    total += v.length;
    finite += n;
    if (lo < vMin) vMin = lo;
    if (hi > vMax) vMax = hi;
    return n === 0 ? null : { min: f(hi), max: f(lo) };
  });
  if (finite === 0) return { global: null, leaves };
  let exact = total <= sampleSize;
  let picked = new Float64Array(exact ? finite : sampleSize);
  let m = 0;
  if (!exact) {
    const next = rng(input.seed);
    let leaf = 0;
    let start = 0; // global index of vs[leaf][0]
    for (let k = 0; k < sampleSize; k++) {
      const lo = Math.floor((k * total) / sampleSize);
      const hi = Math.floor(((k + 1) * total) / sampleSize);
      const at = lo + Math.floor(next() * (hi - lo));
      while (at >= start + vs[leaf]!.length) start += vs[leaf++]!.length;
      const x = vs[leaf]![at - start]!;
      if (x - x === 0) picked[m++] = f(x);
    }
    if (m === 0) {
      exact = true; // every sampled v was non-finite: take them all
      picked = new Float64Array(finite);
    }
  }
  if (exact) {
    for (const v of vs) {
      for (let j = 0; j < v.length; j++) if (v[j]! - v[j]! === 0) picked[m++] = f(v[j]!);
    }
  }
  const [p10, p50, p90] = percentiles(picked.subarray(0, m), [0.1, 0.5, 0.9]) as [number, number, number];
  return {
    global: {
      min: f(vMax),
      p10,
      p50,
      p90,
      max: f(vMin),
      coordinates: finite,
      sampled: exact ? null : sampleSize,
    },
    leaves,
  };
}
