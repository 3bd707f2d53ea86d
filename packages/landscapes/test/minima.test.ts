import { describe, expect, it } from "vitest";
import { CASES, descend, inside, isPositiveDefinite, sampleable } from "./helpers.ts";

describe.each(CASES)("$title", ({ landscape: l }) => {
  it("lists at least one minimum, global first, with its value", () => {
    expect(l.minima.length).toBeGreaterThan(0);
    const best = Math.min(...l.minima.map((m) => m.value));
    expect(l.minima[0]!.value).toBe(best);
    for (const m of l.minima) {
      expect(m.value).toBeCloseTo(l.value(m.point[0], m.point[1]), 12);
    }
  });

  it("each minimum is stationary with a positive definite Hessian", () => {
    for (const m of l.minima) {
      const [x, y] = m.point;
      const g = l.gradient(x, y);
      const h = l.hessian(x, y);
      expect(Math.hypot(g[0]!, g[1]!)).toBeLessThan(1e-8 * Math.max(1, Math.hypot(...h)));
      expect(isPositiveDefinite(h)).toBe(true);
    }
  });

  it("start and minima lie inside the bounds", () => {
    const [x0, x1, y0, y1] = l.bounds;
    expect(x0).toBeLessThan(x1);
    expect(y0).toBeLessThan(y1);
    expect(inside(l, l.start)).toBe(true);
    expect(Number.isFinite(l.value(l.start[0], l.start[1]))).toBe(true);
    for (const m of l.minima) expect(inside(l, m.point)).toBe(true);
  });

  it("the list is complete: descent from a grid of seeds ends only at listed minima", () => {
    const [x0, x1, y0, y1] = l.bounds;
    const n = 14;
    const ends = new Set<number>();
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        // Off-grid by an irrational fraction, so no seed sits exactly on a symmetry axis (a saddle's
        // stable manifold) where descent would legitimately stop at the saddle.
        const x = x0 + ((x1 - x0) * (i + 0.318)) / (n + 1);
        const y = y0 + ((y1 - y0) * (j + 0.271)) / (n + 1);
        if (!sampleable(l, x, y)) continue;
        const end = descend(l, [x, y]);
        expect(end, `descent from (${x}, ${y})`).toBeDefined();
        const k = l.minima.findIndex(
          (m) => Math.hypot(m.point[0] - end![0], m.point[1] - end![1]) < 1e-6 * (1 + Math.hypot(...m.point)),
        );
        expect(k, `descent from (${x}, ${y}) ended at (${end![0]}, ${end![1]})`).toBeGreaterThanOrEqual(0);
        ends.add(k);
      }
    }
    // Every listed minimum is reached from somewhere: none is spurious.
    expect(ends.size).toBe(l.minima.length);
  });
});
