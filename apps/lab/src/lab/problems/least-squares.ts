/**
 * Linear least squares with features of chosen scales:
 *   f(w) = ½·(1/n)·‖X·w − y‖²,   ∇f(w) = (1/n)·Xᵀ(X·w − y),
 * with X_ij = scale_j · N(0, 1) and y = X·w_true + σ·N(0, 1), all seeded. A scale of 0 makes a
 * "silent" feature: its column is zero, so the data never push its weight. With n < d the system is
 * underdetermined and `minimumNormSolution` gives the pseudo-inverse solution Xᵀ(XXᵀ)⁻¹y.
 */
import { normal, rng } from "momenta-optim";
import { solveSpd } from "./cholesky.ts";

export interface LeastSquares {
  n: number;
  d: number;
  /** Row-major n×d. */
  X: Float64Array;
  y: Float64Array;
  truth: Float64Array;
  scales: Float64Array;
  /** Writes ∇f(w) into g and returns f(w). */
  gradient(w: ArrayLike<number>, g: Float64Array): number;
  loss(w: ArrayLike<number>): number;
}

export interface LeastSquaresOptions {
  n: number;
  /** One scale per feature (d = scales.length). */
  scales: readonly number[];
  /** The true weights (default all 1). */
  truth?: readonly number[];
  /** Standard deviation of the label noise (default 0). */
  noise?: number;
  seed: number;
}

export function leastSquares(o: LeastSquaresOptions): LeastSquares {
  const { n } = o;
  const d = o.scales.length;
  const gauss = normal(rng(o.seed));
  const truth = Float64Array.from(o.truth ?? o.scales.map(() => 1));
  const scales = Float64Array.from(o.scales);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let yi = 0;
    for (let j = 0; j < d; j++) {
      const x = scales[j]! * gauss();
      X[i * d + j] = x;
      yi += x * truth[j]!;
    }
    y[i] = yi + (o.noise ?? 0) * gauss();
  }
  const r = new Float64Array(n);
  const residuals = (w: ArrayLike<number>): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let s = -y[i]!;
      const row = i * d;
      for (let j = 0; j < d; j++) s += X[row + j]! * w[j]!;
      r[i] = s;
      loss += s * s;
    }
    return (0.5 * loss) / n;
  };
  return {
    n,
    d,
    X,
    y,
    truth,
    scales,
    loss: residuals,
    gradient(w, g) {
      const loss = residuals(w);
      g.fill(0);
      for (let i = 0; i < n; i++) {
        const ri = r[i]! / n;
        const row = i * d;
        for (let j = 0; j < d; j++) g[j]! += ri * X[row + j]!;
      }
      return loss;
    },
  };
}

/** The pseudo-inverse (minimum-norm) solution Xᵀ(XXᵀ)⁻¹y of an underdetermined system (n < d, full row rank). */
export function minimumNormSolution(p: LeastSquares): Float64Array {
  const { n, d, X } = p;
  const k = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[a * d + j]! * X[b * d + j]!;
      k[a * n + b] = s;
      k[b * n + a] = s;
    }
  const alpha = solveSpd(k, n, p.y);
  const w = new Float64Array(d);
  for (let a = 0; a < n; a++) for (let j = 0; j < d; j++) w[j]! += alpha[a]! * X[a * d + j]!;
  return w;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! ** 2;
  return Math.sqrt(s);
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
