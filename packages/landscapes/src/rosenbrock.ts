import { checkRange } from "./check.ts";
import type { Landscape } from "./landscape.ts";

export interface RosenbrockOptions {
  a?: number;
  b?: number;
}

/**
 * Rosenbrock's banana, f = (a − x)² + b(y − x²)², minimum 0 at (a, a²). The parabolic valley is
 * easy to find and hard to follow: its floor curves, so the steep direction keeps turning and
 * neither a fixed preconditioner nor per-coordinate scaling lines up with it for long; b sets how
 * steep the walls are (the Hessian's condition number at the minimum grows like b).
 */
export function rosenbrock(options: RosenbrockOptions = {}): Landscape {
  const a = checkRange("rosenbrock", "a", options.a ?? 1, -10, 10);
  const b = checkRange("rosenbrock", "b", options.b ?? 100, 1e-6, 1e6);
  const xmin = Math.min(-2, a - 1);
  const xmax = Math.max(2, a + 1);
  return {
    id: "rosenbrock",
    name: `Rosenbrock (a = ${a}, b = ${b})`,
    description:
      "A curved, steep-walled valley: every method finds the valley at once, then the race is along " +
      "its bending floor to the minimum at (a, a²).",
    bounds: [xmin, xmax, -1, Math.max(3, a * a + 1)],
    minima: [{ point: [a, a * a], value: 0, label: "global minimum" }],
    start: [-1.2, 1],
    value(x, y) {
      const d = y - x * x;
      return (a - x) ** 2 + b * d * d;
    },
    gradient(x, y, out = new Float64Array(2)) {
      const d = y - x * x;
      out[0] = -2 * (a - x) - 4 * b * x * d;
      out[1] = 2 * b * d;
      return out;
    },
    hessian: (x, y) => [2 - 4 * b * (y - x * x) + 8 * b * x * x, -4 * b * x, 2 * b],
  };
}
