import { noisyGradient, rosenbrock, saddle } from "@momenta/landscapes";
import { describe, expect, it } from "vitest";

describe("noisyGradient", () => {
  const l = rosenbrock();

  it("is deterministic for a seed and differs between seeds", () => {
    const a = noisyGradient(l, { sigma: 0.5, seed: 7 });
    const b = noisyGradient(l, { sigma: 0.5, seed: 7 });
    const c = noisyGradient(l, { sigma: 0.5, seed: 8 });
    for (let i = 0; i < 50; i++) {
      const x = -1 + i * 0.03;
      const ga = Array.from(a(x, 0.5));
      expect(Array.from(b(x, 0.5))).toEqual(ga);
      expect(Array.from(c(x, 0.5))).not.toEqual(ga);
    }
  });

  it("adds zero-mean noise with standard deviation sigma to each coordinate, independently", () => {
    const n = 40_000;
    const sigma = 0.3;
    const oracle = noisyGradient(l, { sigma, seed: 1 });
    const exact = l.gradient(0.3, 0.7);
    const out = new Float64Array(2);
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    let c01 = 0;
    for (let i = 0; i < n; i++) {
      expect(oracle(0.3, 0.7, out)).toBe(out);
      const e0 = out[0]! - exact[0]!;
      const e1 = out[1]! - exact[1]!;
      s0 += e0;
      s1 += e1;
      q0 += e0 * e0;
      q1 += e1 * e1;
      c01 += e0 * e1;
    }
    // Standard errors: mean σ/√n ≈ 0.0015; std ≈ σ/√(2n) ≈ 0.001; correlation 1/√n ≈ 0.005.
    expect(Math.abs(s0 / n)).toBeLessThan(0.006);
    expect(Math.abs(s1 / n)).toBeLessThan(0.006);
    expect(Math.sqrt(q0 / n)).toBeCloseTo(sigma, 2);
    expect(Math.sqrt(q1 / n)).toBeCloseTo(sigma, 2);
    expect(Math.abs(c01 / n / (sigma * sigma))).toBeLessThan(0.02);
  });

  it("with sigma 0 is the exact gradient", () => {
    const s = saddle();
    const oracle = noisyGradient(s, { sigma: 0, seed: 3 });
    expect(Array.from(oracle(0.4, -0.2))).toEqual(Array.from(s.gradient(0.4, -0.2)));
  });

  it("rejects a bad sigma or seed", () => {
    expect(() => noisyGradient(l, { sigma: -1, seed: 0 })).toThrow(/sigma must be/);
    expect(() => noisyGradient(l, { sigma: Number.NaN, seed: 0 })).toThrow(/sigma must be/);
    expect(() => noisyGradient(l, { sigma: 1, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
