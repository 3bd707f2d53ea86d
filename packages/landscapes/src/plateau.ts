import { checkRange } from "./check.ts";
import type { Landscape } from "./landscape.ts";

export interface PlateauOptions {
  /** ε, the shelf's slope: |∇f| on the shelf (default 1e-3). */
  slope?: number;
}

const DEPTH = 0.5; // D: the basin's depth
const WIDTH = 1; // w: the basin's radius scale
const SMOOTH = 1; // δ: rounds the cone's tip so f is smooth at the centre

/**
 * A wide, gently tilted shelf around a basin: with r the distance to the origin,
 * f = ε·√(r² + δ²) − D·exp(−r²/(2w²)), ε = `slope`, D = 0.5, w = δ = 1.
 *
 * On the shelf (r ≥ 4.5, most of the window) the Gaussian has all but vanished and
 * ε·r/√(r² + δ²) ≤ |∇f| ≤ ε + D·4.5·e^(−10.125)/w ≈ ε + 9·10⁻⁵, so |∇f| ≈ ε = 10⁻³ by default,
 * always pointing at the basin. GD moves lr·ε per step and crawls; heavy-ball momentum β multiplies
 * that by 1/(1 − β), and Adam, which divides by the gradient's own size, crosses at ≈ lr per step
 * whatever ε is. Measured from the start at the default ε: GD at lr 1 needs ≈ 3,800 steps to reach
 * the basin (f < −0.4), momentum 0.9 at lr 1 ≈ 410, Adam at lr 0.1 ≈ 55. The basin's curvature
 * is D/w² + ε/δ ≈ 0.5, so GD is stable there up to lr ≈ 4. Minimum εδ − D at the origin.
 */
export function plateau(options: PlateauOptions = {}): Landscape {
  const eps = checkRange("plateau", "slope", options.slope ?? 1e-3, 0, 1);
  const k = DEPTH / (WIDTH * WIDTH);
  const s2 = SMOOTH * SMOOTH;
  return {
    id: "plateau",
    name: `Plateau (slope ${eps})`,
    description:
      `A wide shelf with a gradient of only ${eps} that finally drops into a basin: GD crawls ` +
      "across it, momentum and Adam cross.",
    bounds: [-8, 4, -6, 6],
    minima: [{ point: [0, 0], value: eps * SMOOTH - DEPTH, label: "global minimum (the basin)" }],
    start: [-7, 3],
    value(x, y) {
      const r2 = x * x + y * y;
      return eps * Math.sqrt(r2 + s2) - DEPTH * Math.exp(-r2 / (2 * WIDTH * WIDTH));
    },
    gradient(x, y, out = new Float64Array(2)) {
      const r2 = x * x + y * y;
      // f = φ(r²) with φ'(t) = ε/(2√(t + δ²)) + D/(2w²)·e^(−t/2w²), so ∇f = 2φ'·(x, y).
      const d = eps / Math.sqrt(r2 + s2) + k * Math.exp(-r2 / (2 * WIDTH * WIDTH));
      out[0] = d * x;
      out[1] = d * y;
      return out;
    },
    hessian(x, y) {
      const r2 = x * x + y * y;
      const root = Math.sqrt(r2 + s2);
      const e = k * Math.exp(-r2 / (2 * WIDTH * WIDTH));
      const d = eps / root + e;
      // ∂d/∂(r²)·2 = −ε/(r²+δ²)^{3/2} − e/w².
      const dd = -eps / (root * root * root) - e / (WIDTH * WIDTH);
      return [d + dd * x * x, dd * x * y, d + dd * y * y];
    },
  };
}
