import { checkRange } from "./check.ts";
import type { Landscape } from "./landscape.ts";

export interface SaddleOptions {
  /** q > 0: the quartic term that bounds the descent along y. */
  quartic?: number;
}

/**
 * A saddle with somewhere to go, f = x² − y² + q·y⁴: a saddle point at the origin, and two minima
 * at (0, ±1/√(2q)) with f = −1/(4q). Starting at (1, 10⁻³), almost exactly on the saddle's stable
 * manifold, the escape direction y carries a gradient of only 2·10⁻³: GD first slides to the saddle
 * and lingers there while y grows by a factor (1 + 2·lr) per step; momentum and Adam (which rescales
 * the tiny y gradient) leave sooner (at lr 0.05, f < −0.5 after 72 GD steps, 26 with momentum 0.9,
 * 17 with Adam).
 */
export function saddle(options: SaddleOptions = {}): Landscape {
  const q = checkRange("saddle", "quartic", options.quartic ?? 0.25, 1e-3, 1e3);
  const ystar = 1 / Math.sqrt(2 * q);
  const half = Math.max(1.5, 1.5 * ystar);
  const fmin = -1 / (4 * q);
  return {
    id: "saddle",
    name: `Saddle (q = ${q})`,
    description:
      "A saddle point between two minima, starting almost on it: the escape direction's gradient is " +
      "tiny at first, so plain GD lingers at the saddle while momentum and Adam get away.",
    bounds: [-half, half, -half, half],
    minima: [
      { point: [0, ystar], value: fmin, label: "upper minimum (global, tied)" },
      { point: [0, -ystar], value: fmin, label: "lower minimum (global, tied)" },
    ],
    start: [1, 1e-3],
    value: (x, y) => x * x - y * y + q * y ** 4,
    gradient(x, y, out = new Float64Array(2)) {
      out[0] = 2 * x;
      out[1] = -2 * y + 4 * q * y ** 3;
      return out;
    },
    hessian: (_x, y) => [2, 0, -2 + 12 * q * y * y],
  };
}
