import type { Landscape } from "./landscape.ts";

/** The Lennard-Jones pair equilibrium distance 2^(1/6)σ (σ = 1), where V = −ε = −1. */
const R0 = 2 ** (1 / 6);
const AX = -R0 / 2;
const BX = R0 / 2;
const HEIGHT = (R0 * Math.sqrt(3)) / 2;

// V(r) = 4(r⁻¹² − r⁻⁶) written as 4·r⁻⁶(r⁻⁶ − 1), so r = 0 gives +∞ rather than ∞ − ∞ = NaN.
function pair(r2: number): number {
  const i6 = 1 / (r2 * r2 * r2);
  return 4 * i6 * (i6 - 1);
}

/** V'(r)/r and (V''(r) − V'(r)/r)/r², the radial factors of a pair's gradient and Hessian. */
function pairDerivatives(r2: number): [number, number] {
  const i2 = 1 / r2;
  const i6 = i2 * i2 * i2;
  // V'(r)/r = (−48 r⁻¹⁴ + 24 r⁻⁸); d/dr(V'(r)/r)/r = (672 r⁻¹⁶ − 192 r⁻¹⁰).
  const g = i2 * i6 * (-48 * i6 + 24);
  const h = i2 * i2 * i6 * (672 * i6 - 192);
  return [g, h];
}

/**
 * A slice of the Lennard-Jones trimer (ε = σ = 1): two atoms fixed at (∓2^(1/6)/2, 0), at the
 * pair's equilibrium distance, and the third at (x, y); f = V(r_AB) + V(r_A) + V(r_B) with
 * V(r) = 4(r⁻¹² − r⁻⁶). The minima are the two equilateral triangles, (0, ±2^(1/6)·√3/2) with
 * f = −3. It stages a physical landscape's dynamic range: a soft r⁻⁶ tail far away and a stiff
 * r⁻¹² wall near the fixed atoms, where the gradient grows by orders of magnitude within a fraction
 * of σ, so the wall, not the basin, sets the learning rates GD survives (clipping or Adam cope).
 * Values are exact everywhere, so they reach 10⁴ at r ≈ 0.5 and +∞ on the atoms, which the window
 * has to contain: any rectangle holding both minima holds the segment between the atoms.
 */
export function ljTrimer(): Landscape {
  return {
    id: "lj-trimer",
    name: "Lennard-Jones trimer",
    description:
      "One atom moving around two fixed ones: a soft attractive tail and a stiff repulsive wall " +
      "around each fixed atom (at (±0.56, 0)); the minima are the two equilateral triangles.",
    bounds: [-2.2, 2.2, -2, 2],
    minima: [
      { point: [0, HEIGHT], value: -3, label: "equilateral triangle, above (global, tied)" },
      { point: [0, -HEIGHT], value: -3, label: "equilateral triangle, below (global, tied)" },
    ],
    // On the wall of the right-hand atom (r ≈ 0.95 from it), off the symmetry axis.
    start: [0.25, 0.9],
    value(x, y) {
      const ax = x - AX;
      const bx = x - BX;
      return -1 + pair(ax * ax + y * y) + pair(bx * bx + y * y);
    },
    gradient(x, y, out = new Float64Array(2)) {
      const ax = x - AX;
      const bx = x - BX;
      const [ga] = pairDerivatives(ax * ax + y * y);
      const [gb] = pairDerivatives(bx * bx + y * y);
      out[0] = ga * ax + gb * bx;
      out[1] = (ga + gb) * y;
      return out;
    },
    hessian(x, y) {
      const ax = x - AX;
      const bx = x - BX;
      const [ga, ha] = pairDerivatives(ax * ax + y * y);
      const [gb, hb] = pairDerivatives(bx * bx + y * y);
      return [ga + gb + ha * ax * ax + hb * bx * bx, (ha * ax + hb * bx) * y, ga + gb + (ha + hb) * y * y];
    },
  };
}
