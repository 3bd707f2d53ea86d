/**
 * A physics-informed network for the 1-D Poisson problem
 *   u″(x) = −π² sin(πx) on [0, 1],  u(0) = u(1) = 0,  exact solution u(x) = sin(πx).
 * The network u_θ is a small tanh MLP (tanh-net.ts); u″_θ comes from forward-mode propagation, and the
 * loss is the mean squared residual at seeded collocation points plus the boundary penalty:
 *   L(θ) = mean_i (u″_θ(x_i) + π² sin(πx_i))² + w_b·(u_θ(0)² + u_θ(1)²).
 */
import * as tf from "@tensorflow/tfjs-core";
import { rng } from "momenta-optim";
import { netJet2, netValue, type TanhNet } from "./tanh-net.ts";

export const exactSolution = (x: number): number => Math.sin(Math.PI * x);

/** `n` collocation points drawn uniformly in (0, 1) from `seed`, sorted. */
export function collocationPoints(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => next()).sort();
}

/** The PDE's data as tensors (kept by the caller for the whole run; dispose with `dispose`). */
export interface PinnData {
  x: tf.Tensor2D;
  /** π² sin(πx_i): the residual is u″ + this. */
  source: tf.Tensor2D;
  boundary: tf.Tensor2D;
  boundaryWeight: number;
  dispose(): void;
}

export function pinnData(points: Float32Array, boundaryWeight = 1): PinnData {
  const x = tf.tensor2d(points, [points.length, 1]);
  const source = tf.tensor2d(
    points.map((p) => Math.PI ** 2 * Math.sin(Math.PI * p)),
    [points.length, 1],
  );
  const boundary = tf.tensor2d([0, 1], [2, 1]);
  return { x, source, boundary, boundaryWeight, dispose: () => tf.dispose([x, source, boundary]) };
}

/** L(θ) above, as a scalar tensor (call inside a gradient or tidy scope). */
export function pinnLoss(net: TanhNet, data: PinnData): tf.Scalar {
  const residual = tf.add(netJet2(net, data.x).d2u, data.source);
  const ub = netValue(net, data.boundary);
  return tf.add(
    tf.mean(tf.square(residual)),
    tf.mul(data.boundaryWeight, tf.sum(tf.square(ub))),
  ) as tf.Scalar;
}

/** Error against sin(πx) on `n` equally spaced points of [0, 1]: the max and the root-mean-square. */
export function solutionError(net: TanhNet, n = 201): { max: number; l2: number; u: Float32Array } {
  const xs = Float32Array.from({ length: n }, (_, i) => i / (n - 1));
  const u = tf.tidy(() => netValue(net, tf.tensor2d(xs, [n, 1])).dataSync() as Float32Array);
  let max = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.abs(u[i]! - exactSolution(xs[i]!));
    if (Number.isNaN(e) || e > max) max = e; // a NaN sticks
    sq += e * e;
  }
  return { max, l2: Math.sqrt(sq / n), u };
}
