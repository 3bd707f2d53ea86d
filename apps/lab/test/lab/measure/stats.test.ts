import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bootstrapCi,
  firstCrossing,
  linearFit,
  loglogSlope,
  mean,
  median,
  quantile,
  seedBand,
  sig,
  std,
} from "../../../src/lab/measure/stats.ts";

describe("stats", () => {
  it("mean, std, quantiles of a known sample", () => {
    const v = [4, 1, 3, 2, 5];
    expect(mean(v)).toBe(3);
    expect(std(v)).toBeCloseTo(Math.sqrt(2.5), 14);
    expect(median(v)).toBe(3);
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(5);
    expect(quantile(v, 0.125)).toBeCloseTo(1.5, 14);
    expect(() => quantile(v, 1.5)).toThrow(/q must be in/);
    expect(() => mean([])).toThrow(/no values/);
  });

  it("linear and log-log fits recover exact lines and power laws", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        (a, b) => {
          const xs = [1, 2, 3, 5, 8];
          const fit = linearFit(
            xs,
            xs.map((x) => a * x + b),
          );
          expect(fit.slope).toBeCloseTo(a, 9);
          expect(fit.intercept).toBeCloseTo(b, 9);
        },
      ),
    );
    const xs = [0.01, 0.1, 1, 10];
    const p = loglogSlope(
      xs,
      xs.map((x) => 3 * x ** -1.5),
    );
    expect(p.slope).toBeCloseTo(-1.5, 12);
    expect(p.r2).toBeCloseTo(1, 12);
    expect(() => loglogSlope([1, 2], [0, 1])).toThrow(/positive/);
  });

  it("bootstrap intervals are seeded, contain the estimate and narrow with more data", () => {
    const small = Array.from({ length: 10 }, (_, i) => Math.sin(i) * 2);
    const large = Array.from({ length: 400 }, (_, i) => Math.sin(i) * 2);
    const a = bootstrapCi(small, { seed: 3 });
    expect(bootstrapCi(small, { seed: 3 })).toEqual(a);
    expect(a.lo).toBeLessThanOrEqual(a.estimate);
    expect(a.hi).toBeGreaterThanOrEqual(a.estimate);
    const b = bootstrapCi(large, { seed: 3 });
    expect(b.hi - b.lo).toBeLessThan(a.hi - a.lo);
  });

  it("first crossings, seed bands, significant digits", () => {
    expect(firstCrossing([5, 4, 3, 2], 3)).toBe(2);
    expect(firstCrossing([5, 4], 1)).toBeNull();
    expect(firstCrossing([1, 2, 3], 2, true)).toBe(1);
    const band = seedBand([
      [1, 2],
      [3, 6],
    ]);
    expect(band.mean).toEqual([2, 4]);
    expect(band.lo[0]).toBeCloseTo(1.2, 12);
    expect(band.hi[1]).toBeCloseTo(5.6, 12);
    expect(() => seedBand([[1], [1, 2]])).toThrow(/differ/);
    expect(sig(Math.PI)).toBe(3.14);
    expect(sig(12)).toBe(12);
  });
});
