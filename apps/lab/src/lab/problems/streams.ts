/**
 * Seeded gradient streams and state probes for the Adam-mechanics experiments: gradients that do not
 * depend on the params (so two optimizers fed the same stream see identical inputs), and readers of
 * an optimizer's internal buffers (Adam's m and v, Adagrad's sum, RMSprop's square average).
 *
 * Stream: g_t = mean + std·z_t with z_t ~ N(0, I), drawn from mulberry32(seed) by Box–Muller.
 */

import type { FloatArray } from "momenta-optim";
import { normal, rng } from "momenta-optim";

export interface StreamOptions {
  /** The true mean gradient (a number for every coordinate, or one per coordinate). Default 0. */
  mean?: number | ArrayLike<number>;
  /** The noise standard deviation. Default 1. */
  std?: number;
}

/** A stream of i.i.d. Gaussian gradients of `dim` coordinates; each call returns a new array. */
export function gaussianStream(seed: number, dim: number, options: StreamOptions = {}): () => Float64Array {
  const gauss = normal(rng(seed));
  const { mean = 0, std = 1 } = options;
  const mu = (j: number) => (typeof mean === "number" ? mean : mean[j]!);
  return () => {
    const g = new Float64Array(dim);
    for (let j = 0; j < dim; j++) g[j] = mu(j) + std * gauss();
    return g;
  };
}

/** The first leaf of a state's buffer list, as a plain array of numbers. */
export function firstLeaf(buffers: readonly FloatArray[]): Float64Array {
  return Float64Array.from(buffers[0]!);
}

/** The largest absolute entry of a − b (∞-norm distance). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) {
    const d = Math.abs(a[j]! - b[j]!);
    if (!(d <= m)) m = d; // NaN propagates as NaN
  }
  return m;
}

/** The Euclidean norm. */
export function norm2(a: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * a[j]!;
  return Math.sqrt(s);
}
