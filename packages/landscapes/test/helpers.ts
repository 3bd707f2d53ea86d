import { LANDSCAPES, type Landscape, type LandscapeEntry } from "@momenta/landscapes";

/** Defaults plus every corner of the parameter box: the extremes are where formulas break. */
export function configs(entry: LandscapeEntry): Record<string, number>[] {
  const defaults = Object.fromEntries(entry.params.map((p) => [p.key, p.default]));
  const out: Record<string, number>[] = [defaults];
  const n = entry.params.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    out.push(Object.fromEntries(entry.params.map((p, i) => [p.key, mask & (1 << i) ? p.max : p.min])));
  }
  return out;
}

export const CASES: { title: string; landscape: Landscape }[] = LANDSCAPES.flatMap((entry) =>
  configs(entry).map((params) => ({
    title: `${entry.id} ${JSON.stringify(params)}`,
    landscape: entry.make(params),
  })),
);

const R0 = 2 ** (1 / 6);

/** Where derivatives are meaningful to sample: all of the window but the LJ wall (r < 0.8). */
export function sampleable(l: Landscape, x: number, y: number): boolean {
  if (l.id !== "lj-trimer") return true;
  return Math.hypot(x - R0 / 2, y) >= 0.8 && Math.hypot(x + R0 / 2, y) >= 0.8;
}

export function inside(l: Landscape, p: readonly [number, number]): boolean {
  const [x0, x1, y0, y1] = l.bounds;
  return p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;
}

export function isPositiveDefinite([a, b, c]: readonly [number, number, number]): boolean {
  return a > 0 && a * c - b * b > 0;
}

/**
 * A local minimizer that cannot be fooled by the landscapes' shapes: Newton steps where the Hessian
 * is positive definite, gradient steps elsewhere, both with an Armijo backtracking line search.
 * Returns the end point, or undefined when it leaves the window (far) or fails to converge.
 */
export function descend(l: Landscape, start: readonly [number, number]): [number, number] | undefined {
  let [x, y] = start;
  const g = new Float64Array(2);
  const [x0, x1, y0, y1] = l.bounds;
  const margin = Math.max(x1 - x0, y1 - y0);
  for (let it = 0; it < 5000; it++) {
    l.gradient(x, y, g);
    const h = l.hessian(x, y);
    // Gradient steps start at a tenth of the window, so tiny gradients (a shelf, a saddle) still move.
    const norm = Math.hypot(g[0]!, g[1]!);
    let dx = (-g[0]! / norm) * 0.1 * margin;
    let dy = (-g[1]! / norm) * 0.1 * margin;
    if (isPositiveDefinite(h)) {
      const det = h[0] * h[2] - h[1] * h[1];
      dx = -(h[2] * g[0]! - h[1] * g[1]!) / det;
      dy = -(h[0] * g[1]! - h[1] * g[0]!) / det;
    }
    if (norm === 0) return [x, y];
    const f = l.value(x, y);
    const slope = g[0]! * dx + g[1]! * dy;
    if (!(slope < 0)) return [x, y]; // stationary to rounding
    let t = 1;
    while (t > 1e-20 && !(l.value(x + t * dx, y + t * dy) <= f + 1e-4 * t * slope)) t /= 2;
    if (t <= 1e-20) return [x, y];
    x += t * dx;
    y += t * dy;
    if (x < x0 - margin || x > x1 + margin || y < y0 - margin || y > y1 + margin) return undefined;
    if (Math.abs(t * dx) + Math.abs(t * dy) < 1e-15 * (1 + Math.abs(x) + Math.abs(y))) return [x, y];
  }
  return undefined;
}
