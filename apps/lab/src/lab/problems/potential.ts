/**
 * A machine-learned potential for a three-atom cluster: a tanh network E_θ(1/r₀₁, 1/r₀₂, 1/r₁₂) of the
 * inverse pair distances, fitted to exact energies and forces of a pair potential (clusters.ts), with configurations
 * sampled down into the steep repulsive wall.
 *
 * Forces of the network by the chain rule through the descriptors d_k = 1/r_k: F_θ = −Σ_k (∂E_θ/∂d_k)·∂d_k/∂x,
 * with ∂d_k/∂x = −d_k²·(±(x_i − x_j)/r_ij) fixed per configuration and ∂E_θ/∂d from forward-mode
 * propagation (tanh-net.ts), so the whole loss is one TF.js graph in the weights:
 *   L(θ) = mean_b (E_θ − E)² + w_F · mean_{b,c} (F_θ − F)²   (ε and ε/σ units, no rescaling).
 */
import * as tf from "@tensorflow/tfjs-core";
import { createOptimizer, lbfgs, Mulberry32, normal } from "momenta-optim";
import { clusterEnergy, type PairPotential, pairDistances } from "./clusters.ts";
import { netGrad, type TanhNet } from "./tanh-net.ts";

const ATOMS = 3;
const PAIRS = 3;
const COORDS = 3 * ATOMS;

export interface TrimerSet {
  count: number;
  /** Pair distances [count·3] in the order (0,1), (0,2), (1,2). */
  distances: Float64Array;
  energies: Float64Array;
  /** Forces [count·9]. */
  forces: Float64Array;
  /** ∂r_k/∂x [count·3·9]. */
  jacobian: Float64Array;
}

/**
 * `count` trimers with every pair distance in [rLo, rHi]: atom 0 at the origin, atoms 1 and 2 at
 * uniform distances in [rLo, rHi] along uniformly random directions, kept when r₁₂ is in range too.
 */
export function sampleTrimers(
  pair: PairPotential,
  count: number,
  seed: number,
  range: { rLo: number; rHi: number },
): TrimerSet {
  const g = new Mulberry32(seed);
  const gauss = normal(() => g.next());
  const set: TrimerSet = {
    count,
    distances: new Float64Array(count * PAIRS),
    energies: new Float64Array(count),
    forces: new Float64Array(count * COORDS),
    jacobian: new Float64Array(count * PAIRS * COORDS),
  };
  const x = new Float64Array(COORDS);
  const f = new Float64Array(COORDS);
  const pairs: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  for (let b = 0; b < count; ) {
    for (const atom of [1, 2]) {
      const r = range.rLo + (range.rHi - range.rLo) * g.next();
      const d = [gauss(), gauss(), gauss()];
      const n = Math.hypot(d[0]!, d[1]!, d[2]!);
      for (let c = 0; c < 3; c++) x[3 * atom + c] = (r * d[c]!) / n;
    }
    const r = pairDistances(x);
    if (r[2]! < range.rLo || r[2]! > range.rHi) continue;
    set.distances.set(r, b * PAIRS);
    set.energies[b] = clusterEnergy(pair, x, f);
    set.forces.set(f, b * COORDS);
    pairs.forEach(([i, j], k) => {
      for (let c = 0; c < 3; c++) {
        const u = (x[3 * i + c]! - x[3 * j + c]!) / r[k]!;
        set.jacobian[(b * PAIRS + k) * COORDS + 3 * i + c] = u;
        set.jacobian[(b * PAIRS + k) * COORDS + 3 * j + c] = -u;
      }
    });
    b++;
  }
  return set;
}

/** A trimer set as tensors for training (dispose with `dispose`). */
export interface TrimerTensors {
  /** The network's inputs: the descriptors d_k = 1/r_k [B, 3] (r in units of σ). */
  descriptors: tf.Tensor2D;
  energies: tf.Tensor2D;
  forces: tf.Tensor2D;
  /** ∂d_k/∂x = −d_k²·∂r_k/∂x [B, 3, 9]. */
  jacobian: tf.Tensor3D;
  dispose(): void;
}

/**
 * Inverse distances as descriptors (as in Coulomb-matrix-like features): they stay in (1/rHi, 1/rLo]
 * however deep the wall is sampled, so the inputs are tame and the steepness sits in the targets.
 */
export function trimerTensors(set: TrimerSet): TrimerTensors {
  const d = set.distances.map((r) => 1 / r);
  const jac = new Float32Array(set.jacobian.length);
  for (let b = 0; b < set.count; b++) {
    for (let k = 0; k < PAIRS; k++) {
      const s = -(d[b * PAIRS + k]! ** 2);
      for (let c = 0; c < COORDS; c++) {
        const at = (b * PAIRS + k) * COORDS + c;
        jac[at] = s * set.jacobian[at]!;
      }
    }
  }
  const t = {
    descriptors: tf.tensor2d(Float32Array.from(d), [set.count, PAIRS]),
    energies: tf.tensor2d(Float32Array.from(set.energies), [set.count, 1]),
    forces: tf.tensor2d(Float32Array.from(set.forces), [set.count, COORDS]),
    jacobian: tf.tensor3d(jac, [set.count, PAIRS, COORDS]),
  };
  return { ...t, dispose: () => tf.dispose(Object.values(t)) };
}

/**
 * The network's energies [B, 1] and forces [B, 9]; E = scale·net(d) (scale: the energies' spread,
 * the usual target normalization, folded into the model so the loss stays in ε units).
 */
export function predict(
  net: TanhNet,
  data: TrimerTensors,
  scale = 1,
): { energies: tf.Tensor2D; forces: tf.Tensor2D } {
  const { y, dy } = netGrad(net, data.descriptors);
  // F_c = −Σ_k ∂E/∂d_k · ∂d_k/∂x_c: [B, 3, 1] · [B, 3, 9] summed over k.
  const forces = tf.mul(-scale, tf.sum(tf.mul(tf.expandDims(dy, 2), data.jacobian), 1)) as tf.Tensor2D;
  return { energies: tf.mul(scale, y) as tf.Tensor2D, forces };
}

/** L(θ) above as a scalar tensor. */
export function potentialLoss(net: TanhNet, data: TrimerTensors, scale = 1, forceWeight = 1): tf.Scalar {
  const p = predict(net, data, scale);
  const e = tf.mean(tf.squaredDifference(p.energies, data.energies));
  const f = tf.mean(tf.squaredDifference(p.forces, data.forces));
  return tf.add(e, tf.mul(forceWeight, f)) as tf.Scalar;
}

/** Root-mean-square errors of the energy (per configuration) and of the force components. */
export function potentialErrors(
  net: TanhNet,
  data: TrimerTensors,
  scale = 1,
): { energyRmse: number; forceRmse: number } {
  return tf.tidy(() => {
    const p = predict(net, data, scale);
    return {
      energyRmse: Math.sqrt(tf.mean(tf.squaredDifference(p.energies, data.energies)).dataSync()[0]!),
      forceRmse: Math.sqrt(tf.mean(tf.squaredDifference(p.forces, data.forces)).dataSync()[0]!),
    };
  });
}

/** The Lennard-Jones trimer's equilibrium pair distance, 2^(1/6)σ (an equilateral triangle at −3ε). */
export const LJ_TRIMER_BOND = 2 ** (1 / 6);

/**
 * Relaxes a trimer on the learned surface E = scale·net(1/r): L-BFGS with the strong-Wolfe line
 * search over the nine coordinates, the forces by the chain rule as in `predict`. Returns the relaxed
 * pair distances ((0,1), (0,2), (1,2)) and the evaluations it took; non-finite distances when the
 * network's surface sent it astray.
 */
export function relaxTrimer(
  net: TanhNet,
  start: Float64Array,
  scale: number,
): { distances: [number, number, number]; evaluations: number } {
  const pairs: [number, number][] = [
    [0, 1],
    [0, 2],
    [1, 2],
  ];
  const p = { x: Float64Array.from(start) };
  const opt = createOptimizer(lbfgs({ lineSearchFn: "strong_wolfe", maxIter: 100 }), p);
  let evaluations = 0;
  const closure = () => {
    evaluations += 1;
    const x = p.x;
    const r = pairs.map(([i, j]) =>
      Math.hypot(x[3 * i]! - x[3 * j]!, x[3 * i + 1]! - x[3 * j + 1]!, x[3 * i + 2]! - x[3 * j + 2]!),
    );
    const d = r.map((v) => 1 / v);
    const [y, dy] = tf.tidy(() => {
      const out = netGrad(net, tf.tensor2d(d, [1, 3]));
      return [out.y.dataSync()[0]!, Array.from(out.dy.dataSync())];
    }) as [number, number[]];
    const grad = new Float64Array(COORDS);
    pairs.forEach(([i, j], k) => {
      // ∂E/∂x = scale·∂net/∂d_k · (−d_k²) · ∂r_k/∂x, with ∂r_k/∂x_i = (x_i − x_j)/r_k
      const c = (scale * dy[k]! * -(d[k]! * d[k]!)) / r[k]!;
      for (let a = 0; a < 3; a++) {
        const diff = x[3 * i + a]! - x[3 * j + a]!;
        grad[3 * i + a] = grad[3 * i + a]! + c * diff;
        grad[3 * j + a] = grad[3 * j + a]! - c * diff;
      }
    });
    return { loss: scale * y, grads: { x: grad } };
  };
  opt.step(closure);
  const x = p.x;
  const distances = pairs.map(([i, j]) =>
    Math.hypot(x[3 * i]! - x[3 * j]!, x[3 * i + 1]! - x[3 * j + 1]!, x[3 * i + 2]! - x[3 * j + 2]!),
  ) as [number, number, number];
  return { distances, evaluations };
}

/**
 * `count` seeded starting trimers near equilibrium: atom 0 at the origin, atom 1 on the x axis, atom 2
 * in the plane, the two sides from atom 0 in [1.0, 1.4]σ and the angle between them in [50°, 70°].
 */
export function trimerStarts(count: number, seed: number): Float64Array[] {
  const g = new Mulberry32(seed);
  return Array.from({ length: count }, () => {
    const a = 1 + 0.4 * g.next();
    const b = 1 + 0.4 * g.next();
    const theta = ((50 + 20 * g.next()) * Math.PI) / 180;
    return Float64Array.from([0, 0, 0, a, 0, 0, b * Math.cos(theta), b * Math.sin(theta), 0]);
  });
}
