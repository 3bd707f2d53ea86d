/**
 * A small, deterministic logistic regression for trajectory comparisons: n points in d dimensions,
 * x ~ N(0, I), labels from a planted w* with 10 % of them flipped (so the data are not separable and
 * the minimum is finite). Loss L(w) = (1/n)·Σ log(1 + exp(−yᵢ·xᵢ·w)), yᵢ ∈ {−1, +1}; full batch,
 * so a run depends only on the data seed and the optimizer.
 */
import { normal, rng } from "momenta-optim";

export interface LogisticProblem {
  n: number;
  d: number;
  /** L(w). */
  loss(w: ArrayLike<number>): number;
  /** ∇L(w) written into `out`; returns L(w). */
  gradient(w: ArrayLike<number>, out: Float64Array): number;
}

export function seededLogistic(seed: number, n = 200, d = 10): LogisticProblem {
  const next = rng(seed);
  const gauss = normal(next);
  const wStar = Float64Array.from({ length: d }, () => gauss());
  const X = Array.from({ length: n }, () => Float64Array.from({ length: d }, () => gauss()));
  const y = X.map((x) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[j]! * wStar[j]!;
    const label = s >= 0 ? 1 : -1;
    return next() < 0.1 ? -label : label;
  });
  // log(1 + e^z) without overflow
  const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
  const gradient = (w: ArrayLike<number>, out: Float64Array) => {
    out.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const x = X[i]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[j]! * w[j]!;
      const z = -y[i]! * s;
      loss += softplus(z);
      const sig = 1 / (1 + Math.exp(-z)); // ∂softplus(z)/∂z
      const c = (-y[i]! * sig) / n;
      for (let j = 0; j < d; j++) out[j]! += c * x[j]!;
    }
    return loss / n;
  };
  const scratch = new Float64Array(d);
  return { n, d, gradient, loss: (w) => gradient(w, scratch) };
}
