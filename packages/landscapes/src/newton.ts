import type { Landscape } from "./landscape.ts";

type Smooth = Pick<Landscape, "gradient" | "hessian">;

/**
 * Polishes a minimum by Newton's method from a seed already inside its basin (where the Hessian is
 * positive definite): used at construction by the landscapes whose minima have no closed form, so
 * the listed minima are exact to rounding and deterministic. Throws rather than return a point that
 * is not a minimum, since a wrong `minima` list would silently mislead every plot and test.
 */
export function newtonMinimum(f: Smooth, seed: readonly [number, number], maxIter = 100): [number, number] {
  let x = seed[0];
  let y = seed[1];
  const g = new Float64Array(2);
  for (let it = 0; it < maxIter; it++) {
    f.gradient(x, y, g);
    const [a, b, c] = f.hessian(x, y);
    const det = a * c - b * b;
    if (!(a > 0 && det > 0)) break;
    const dx = (c * g[0]! - b * g[1]!) / det;
    const dy = (a * g[1]! - b * g[0]!) / det;
    x -= dx;
    y -= dy;
    // Quadratic convergence: a step this small leaves the next one at rounding level.
    if (Math.abs(dx) + Math.abs(dy) <= 1e-12 * (1 + Math.abs(x) + Math.abs(y))) {
      const [a2, b2, c2] = f.hessian(x, y);
      if (a2 > 0 && a2 * c2 - b2 * b2 > 0) return [x, y];
      break;
    }
  }
  throw new Error(`newtonMinimum: no minimum found from seed (${seed[0]}, ${seed[1]})`);
}
