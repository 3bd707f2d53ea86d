/**
 * A torsion-like potential energy surface: two dihedral angles (φ, ψ) of a flexible chain, each with
 * the three-term Fourier torsion potential
 *   U(θ) = −D·cos⁶(θ/2) = −(D/32)·(10 + 15 cos θ + 6 cos 2θ + cos 3θ),
 * plus a weak coupling that keeps the two torsions in step,
 *   V(φ, ψ) = U(φ) + U(ψ) + c·(1 − cos(φ − ψ)),  D = 1, c = 10⁻³.
 * U has one well at θ = 0 (curvature U''(0) = 1.5·D) and is almost flat over the rest of the circle: U'(θ) = 3D·cos⁵(θ/2)·sin(θ/2) falls from 0.08·D at θ = 2π/3 to
 * 0.008·D at 0.8π and 3·10⁻⁴·D at 0.9π, and U is stationary (a sextic-flat maximum) at θ = π. A
 * conformation started with both torsions in [0.75π, 0.95π] feels forces of 10⁻⁴–10⁻² that all
 * point, slowly, at the global minimum (0, 0) with V = −2D: the computational chemist's "the forces
 * almost vanish and the optimizer crawls" (the seed's flexible molecule). V is 2π-periodic in both
 * angles, so every (2πk, 2πm) is the same minimum; the angles are left unwrapped.
 */
import type { Landscape } from "@momenta/landscapes";

const D = 1;
const COUPLING = 1e-3;

/** U(θ) = −D·cos⁶(θ/2) and its first two derivatives. */
function torsion(theta: number): [number, number, number] {
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  const c4 = c * c * c * c;
  const value = -D * c4 * c * c;
  // d/dθ cos⁶(θ/2) = −3 cos⁵ sin; d²/dθ² = −(3/2)(cos⁶ − 5 cos⁴ sin²).
  const first = 3 * D * c4 * c * s;
  const second = 1.5 * D * (c4 * c * c - 5 * c4 * s * s);
  return [value, first, second];
}

export function torsionPes(): Landscape {
  return {
    id: "torsion",
    name: "Torsion PES (two dihedrals)",
    description:
      "Two coupled dihedral angles with a three-term cos(nθ) torsion potential: one well at (0, 0) and a " +
      "nearly flat region around (±π, ±π) where the forces almost vanish.",
    bounds: [-Math.PI, Math.PI, -Math.PI, Math.PI],
    minima: [{ point: [0, 0], value: -2 * D, label: "global minimum (both torsions at 0)" }],
    start: [2.6, -2.5],
    value(x, y) {
      return torsion(x)[0] + torsion(y)[0] + COUPLING * (1 - Math.cos(x - y));
    },
    gradient(x, y, out = new Float64Array(2)) {
      const k = COUPLING * Math.sin(x - y);
      out[0] = torsion(x)[1] + k;
      out[1] = torsion(y)[1] - k;
      return out;
    },
    hessian(x, y) {
      const k = COUPLING * Math.cos(x - y);
      return [torsion(x)[2] + k, -k, torsion(y)[2] + k];
    },
  };
}
