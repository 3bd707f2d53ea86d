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
    expect(judgeBiasCorrection(m).verdict).toBe("holds");
  });
  it("holds only when … if the correction leaves a bias", () => {
    const m = { ...base, m: [0.1, 0.19], v: [0.001, 0.002], mHat: [1.5, 1.4], vHat: [1, 1] };
    expect(judgeBiasCorrection(m).verdict).toMatch(/^holds only when/);
  });
  it("does not hold when the raw moments are not shrunk", () => {
    const m = { ...base, m: [1, 1], v: [1, 1], mHat: [1, 1], vHat: [1, 1] };
    expect(judgeBiasCorrection(m).verdict).toBe("does not hold");
  });
});
