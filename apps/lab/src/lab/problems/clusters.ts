/**
 * Lennard-Jones and Morse clusters of N atoms in 3-D, with exact analytic energies and forces: the
 * potential energy surfaces the ml-potential experiment fits.
 *
 * Both are pair potentials, E(x) = Σ_{i<j} φ(r_ij), r_ij = |x_i − x_j|, and the force on atom i is
 * F_i = −∂E/∂x_i = −Σ_{j≠i} φ'(r_ij)·(x_i − x_j)/r_ij.
 *   Lennard-Jones: φ(r) = 4ε[(σ/r)¹² − (σ/r)⁶], minimum −ε at r = 2^{1/6}σ; steep wall ∝ r⁻¹² below σ.
 *   Morse:         φ(r) = D[(1 − e^{−a(r − r_e)})² − 1], minimum −D at r = r_e.
 * Positions are flat arrays [x₀, y₀, z₀, x₁, …] (length 3N); forces come back in the same layout.
 */

/** A pair potential: the energy φ(r) and its derivative φ'(r). */
export interface PairPotential {
  name: string;
  /** Where φ is smallest (the dimer's equilibrium distance) and φ there. */
  rMin: number;
  eMin: number;
  energy(r: number): number;
  derivative(r: number): number;
}

export function lennardJones(options: { epsilon?: number; sigma?: number } = {}): PairPotential {
  const eps = options.epsilon ?? 1;
  const sigma = options.sigma ?? 1;
  return {
    name: `Lennard-Jones (ε = ${eps}, σ = ${sigma})`,
    rMin: 2 ** (1 / 6) * sigma,
    eMin: -eps,
    energy(r) {
      const s6 = (sigma / r) ** 6;
      return 4 * eps * (s6 * s6 - s6);
    },
    derivative(r) {
      const s6 = (sigma / r) ** 6;
      return (4 * eps * (-12 * s6 * s6 + 6 * s6)) / r;
    },
  };
}

export function morse(options: { depth?: number; width?: number; re?: number } = {}): PairPotential {
  const d = options.depth ?? 1;
  const a = options.width ?? 6;
  const re = options.re ?? 1;
  return {
    name: `Morse (D = ${d}, a = ${a}, r_e = ${re})`,
    rMin: re,
    eMin: -d,
    energy(r) {
      const e = Math.exp(-a * (r - re));
      return d * ((1 - e) ** 2 - 1);
    },
    derivative(r) {
      const e = Math.exp(-a * (r - re));
      return 2 * d * a * (1 - e) * e;
    },
  };
}

/** The cluster's energy; the forces −∂E/∂x are written into `forces` when given. */
export function clusterEnergy(
  pair: PairPotential,
  positions: ArrayLike<number>,
  forces?: Float64Array,
): number {
  const n = positions.length / 3;
  if (!Number.isInteger(n)) throw new Error("clusterEnergy: positions must hold 3 numbers per atom");
  if (forces) {
    if (forces.length !== positions.length) throw new Error("clusterEnergy: forces length differs");
    forces.fill(0);
  }
  let energy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = positions[3 * i]! - positions[3 * j]!;
      const dy = positions[3 * i + 1]! - positions[3 * j + 1]!;
      const dz = positions[3 * i + 2]! - positions[3 * j + 2]!;
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      energy += pair.energy(r);
      if (forces) {
        const c = -pair.derivative(r) / r; // F_i = −φ'(r)·(x_i − x_j)/r; F_j gets the opposite
        forces[3 * i]! += c * dx;
        forces[3 * i + 1]! += c * dy;
        forces[3 * i + 2]! += c * dz;
        forces[3 * j]! -= c * dx;
        forces[3 * j + 1]! -= c * dy;
        forces[3 * j + 2]! -= c * dz;
      }
    }
  }
  return energy;
}

/** The pair distances r_ij (i < j, in the order (0,1), (0,2), …, (1,2), …). */
export function pairDistances(positions: ArrayLike<number>): Float64Array {
  const n = positions.length / 3;
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      out[k++] = Math.hypot(
        positions[3 * i]! - positions[3 * j]!,
        positions[3 * i + 1]! - positions[3 * j + 1]!,
        positions[3 * i + 2]! - positions[3 * j + 2]!,
      );
    }
  }
  return out;
}
