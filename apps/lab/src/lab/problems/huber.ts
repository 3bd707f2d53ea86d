/**
 * Linear regression with gross outliers, fitted with the squared loss or the Huber loss:
 *   y_i = x_i·w_true + σ·N(0, 1), and for a seeded 10 % (by default) of the samples y_i += σ·U(a, b)
 *   (one-sided gross errors, tens of σ);
 *   MSE:   f(w) = (1/|B|)·Σ_{i∈B} ½·r_i²,          ∇ = (1/|B|)·Σ r_i·x_i,
 *   Huber: f(w) = (1/|B|)·Σ_{i∈B} ρ_δ(r_i),  ρ_δ(r) = ½r² if |r| ≤ δ else δ·(|r| − δ/2),
 *          ∇ = (1/|B|)·Σ clip(r_i, −δ, δ)·x_i,
 * with r_i = x_i·w − y_i over a minibatch B. Features x_ij = scale_j·N(0, 1).
 */
import { normal, rng } from "momenta-optim";

export type RegressionLoss = "mse" | "huber";

export interface OutlierRegression {
  n: number;
  d: number;
  X: Float64Array;
  y: Float64Array;
  truth: Float64Array;
  /** 1 for a gross outlier, 0 otherwise. */
  outlier: Uint8Array;
  noise: number;
  /** Writes the minibatch gradient into g and returns the minibatch loss. */
  gradient(
    loss: RegressionLoss,
    w: ArrayLike<number>,
    g: Float64Array,
    batch: ArrayLike<number>,
    delta: number,
  ): number;
}

export interface OutlierRegressionOptions {
  n: number;
  scales: readonly number[];
  /** Share of gross outliers (default 0.1). */
  outlierFraction?: number;
  /** Outlier offsets in units of σ, uniform in [lo, hi] (default [20, 50]). */
  outlierSize?: [number, number];
  noise?: number;
  seed: number;
}

export function outlierRegression(o: OutlierRegressionOptions): OutlierRegression {
  const { n } = o;
  const d = o.scales.length;
  const noise = o.noise ?? 1;
  const [lo, hi] = o.outlierSize ?? [20, 50];
  const next = rng(o.seed);
  const gauss = normal(next);
  const truth = Float64Array.from({ length: d }, () => gauss());
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  const outlier = new Uint8Array(n);
  const bad = Math.round((o.outlierFraction ?? 0.1) * n);
  // Exactly `bad` outliers, at seeded positions, so every seed has the stated contamination.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let k = 0; k < bad; k++) outlier[order[k]!] = 1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const x = o.scales[j]! * gauss();
      X[i * d + j] = x;
      s += x * truth[j]!;
    }
    y[i] = s + noise * gauss() + (outlier[i] ? noise * (lo + (hi - lo) * next()) : 0);
  }
  return {
    n,
    d,
    X,
    y,
    truth,
    outlier,
    noise,
    gradient(loss, w, g, batch, delta) {
      g.fill(0);
      let total = 0;
      const m = batch.length;
      for (let b = 0; b < m; b++) {
        const i = batch[b]!;
        const row = i * d;
        let r = -y[i]!;
        for (let j = 0; j < d; j++) r += X[row + j]! * w[j]!;
        let psi = r;
        if (loss === "mse") total += 0.5 * r * r;
        else if (Math.abs(r) <= delta) total += 0.5 * r * r;
        else {
          total += delta * (Math.abs(r) - 0.5 * delta);
          psi = r > 0 ? delta : -delta;
        }
        for (let j = 0; j < d; j++) g[j]! += (psi * X[row + j]!) / m;
      }
      return total / m;
    },
  };
}
