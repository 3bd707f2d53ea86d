import { rng } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { CASES, sampleable } from "./helpers.ts";

const POINTS = 200;

describe.each(CASES)("$title", ({ landscape: l }) => {
  const [x0, x1, y0, y1] = l.bounds;
  const points: [number, number][] = [];
  const next = rng(12345);
  while (points.length < POINTS) {
    const x = x0 + (x1 - x0) * next();
    const y = y0 + (y1 - y0) * next();
    if (sampleable(l, x, y)) points.push([x, y]);
  }
  // Central differences: truncation ~h²·f‴, rounding ~ε·|f|/h; h ~ 1e-5 of the window balances them.
  const h = 1e-5 * Math.max(1, (x1 - x0 + y1 - y0) / 10);

  it("gradient matches central finite differences of the value", () => {
    let worst = 0;
    for (const [x, y] of points) {
      const g = l.gradient(x, y);
      const fx = (l.value(x + h, y) - l.value(x - h, y)) / (2 * h);
      const fy = (l.value(x, y + h) - l.value(x, y - h)) / (2 * h);
      const scale = Math.max(1, Math.hypot(g[0]!, g[1]!), Math.abs(l.value(x, y)) * 1e-3);
      worst = Math.max(worst, Math.hypot(g[0]! - fx, g[1]! - fy) / scale);
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it("Hessian matches central finite differences of the gradient, and is symmetric", () => {
    let worst = 0;
    for (const [x, y] of points) {
      const [a, b, c] = l.hessian(x, y);
      const gxp = l.gradient(x + h, y);
      const gxm = l.gradient(x - h, y);
      const gyp = l.gradient(x, y + h);
      const gym = l.gradient(x, y - h);
      const fxx = (gxp[0]! - gxm[0]!) / (2 * h);
      const fyx = (gxp[1]! - gxm[1]!) / (2 * h);
      const fxy = (gyp[0]! - gym[0]!) / (2 * h);
      const fyy = (gyp[1]! - gym[1]!) / (2 * h);
      const scale = Math.max(1, Math.hypot(a, b, b, c));
      const err = Math.hypot(a - fxx, b - fxy, b - fyx, c - fyy);
      worst = Math.max(worst, err / scale);
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it("gradient writes into `out` and returns it; value, gradient and Hessian are finite", () => {
    const out = new Float64Array(2);
    for (const [x, y] of points) {
      expect(l.gradient(x, y, out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(l.gradient(x, y)));
      expect([l.value(x, y), ...out, ...l.hessian(x, y)].every(Number.isFinite)).toBe(true);
    }
  });
});
