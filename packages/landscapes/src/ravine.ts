import { checkRange } from "./check.ts";
import type { Landscape } from "./landscape.ts";

export interface RavineOptions {
  /** κ, the ratio of the steep to the shallow curvature (≥ 1). */
  condition?: number;
  /** Rotation of the ravine's long axis from the x axis, in radians. */
  angle?: number;
}

/**
 * An ill-conditioned quadratic, f = ½(u² + κ v²)/κ with (u, v) the coordinates rotated by `angle`
 * (u = x cos θ + y sin θ along the floor, v = −x sin θ + y cos θ across it). Dividing by κ pins
 * the steep curvature at 1 whatever κ is, so the same learning rates stay stable (GD below 2) while
 * the floor flattens as κ grows, and f ≤ 9(1 + 1/κ) over the [-3, 3]² window. GD zigzags across the walls
 * and crawls along the floor at rate 1 − lr/κ; momentum speeds the floor up. The angle matters:
 * Adam's per-coordinate scaling fixes an axis-aligned ravine (angle 0) but not a rotated one.
 * Minimum 0 at the origin.
 */
export function ravine(options: RavineOptions = {}): Landscape {
  const kappa = checkRange("ravine", "condition", options.condition ?? 100, 1, 1e8);
  const angle = checkRange("ravine", "angle", options.angle ?? 0, -2 * Math.PI, 2 * Math.PI);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const a = 1 / kappa; // curvature along the floor (u)
  const hxx = a * c * c + s * s;
  const hxy = (a - 1) * c * s;
  const hyy = a * s * s + c * c;
  // Start up the floor and a little up the wall: (u, v) = (−2.5, 0.8), radius < 3 so inside for any angle.
  const u0 = -2.5;
  const v0 = 0.8;
  return {
    id: "ravine",
    name: `Ravine (κ = ${kappa}, θ = ${angle.toFixed(2)})`,
    description:
      "An ill-conditioned quadratic valley: GD zigzags across the walls and crawls along the floor. " +
      "Adam's per-coordinate scaling helps only when the valley is axis-aligned (angle 0).",
    bounds: [-3, 3, -3, 3],
    minima: [{ point: [0, 0], value: 0, label: "global minimum" }],
    start: [u0 * c - v0 * s, u0 * s + v0 * c],
    value(x, y) {
      const u = c * x + s * y;
      const v = -s * x + c * y;
      return 0.5 * (a * u * u + v * v);
    },
    gradient(x, y, out = new Float64Array(2)) {
      const u = c * x + s * y;
      const v = -s * x + c * y;
      out[0] = a * u * c - v * s;
      out[1] = a * u * s + v * c;
      return out;
    },
    hessian: () => [hxx, hxy, hyy],
  };
}
