import { describe, expect, it } from "vitest";
import { experiment, judgeBiasCorrection } from "../../../src/lab/experiments/bias-correction.ts";
import { smokeCheck } from "./smoke.ts";

describe("bias-correction (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "bias-correction");
  }, 20000);
});

describe("judgeBiasCorrection", () => {
  const base = { beta1: 0.9, beta2: 0.999, stepRatio: [3.16, 6.5, 4] };
  it("holds when the raw moments are shrunk as predicted and the corrected ones are unbiased", () => {
    const m = { ...base, m: [0.1, 0.19], v: [0.001, 0.002], mHat: [1, 1.02], vHat: [0.98, 1] };
    const j = judgeBiasCorrection(m);
    expect(j.verdict).toBe("holds");
    // mean v̂ = 0.99, mean m̂ = 1.01: both 0.01 from 1.
    expect(j.deciding?.value).toBeCloseTo(0.01);
    expect(j.deciding?.threshold).toMatch(/^≤ 0.1/);
  });
  it("holds only when … if the correction leaves a bias", () => {
    const m = { ...base, m: [0.1, 0.19], v: [0.001, 0.002], mHat: [1.5, 1.4], vHat: [1, 1] };
    const j = judgeBiasCorrection(m);
    expect(j.verdict).toMatch(/^holds only when/);
    expect(j.deciding?.value).toBeCloseTo(0.45);
  });
  it("does not hold when the raw moments are not shrunk", () => {
    const m = { ...base, m: [1, 1], v: [1, 1], mHat: [1, 1], vHat: [1, 1] };
    const j = judgeBiasCorrection(m);
    expect(j.verdict).toBe("does not hold");
    // m₁ = 1 is 10× 1 − β1 = 0.1, v₁ = 1 is 1000× 1 − β2.
    expect(j.deciding).toMatchObject({ threshold: "< 2 (and m₁, v₁ < 0.5)" });
    expect(j.deciding?.value).toBeCloseTo(1000);
  });
});
