/**
 * A quadratic whose minimum moves: f_t(θ) = ½·Σ_j h_j·(θ_j − c_j)², with curvatures h_j log-uniform
 * in [0.3, 3] and a target c drawn afresh, c ~ N(0, I), every `period` steps (a non-stationary
 * objective: the data distribution shifts). Gradients carry N(0, σ²) noise. Seeded: the curvatures,
 * targets and noise all come from one mulberry32 stream per seed.
 */
import { normal, rng } from "momenta-optim";

export interface MovingTarget {
  d: number;
  /** The target in force at step t (0-based). */
  target(t: number): Float64Array;
  /** f_t(θ) (noise-free). */
  loss(theta: ArrayLike<number>, t: number): number;
  /** A noisy gradient at step t, written into `out`. */
  gradient(theta: ArrayLike<number>, t: number, out: Float64Array): void;
}

export function movingTarget(
  seed: number,
  d: number,
  period: number,
  phases: number,
  sigma: number,
): MovingTarget {
  const next = rng(seed);
  const gauss = normal(next);
  const h = Float64Array.from({ length: d }, () => 0.3 * 10 ** next());
  const targets = Array.from({ length: phases }, () => Float64Array.from({ length: d }, () => gauss()));
  const target = (t: number) => targets[Math.min(Math.floor(t / period), phases - 1)]!;
  return {
    d,
    target,
    loss(theta, t) {
      const c = target(t);
      let s = 0;
      for (let j = 0; j < d; j++) s += 0.5 * h[j]! * (theta[j]! - c[j]!) ** 2;
      return s;
    },
    gradient(theta, t, out) {
      const c = target(t);
      for (let j = 0; j < d; j++) out[j] = h[j]! * (theta[j]! - c[j]!) + sigma * gauss();
    },
  };
}
