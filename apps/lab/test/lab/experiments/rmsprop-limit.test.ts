import { describe, expect, it } from "vitest";
import { experiment, judgeRmspropLimit } from "../../../src/lab/experiments/rmsprop-limit.ts";
import { smokeCheck } from "./smoke.ts";

describe("rmsprop-limit (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "rmsprop-limit");
  }, 20000);
});

describe("judgeRmspropLimit", () => {
  const base = {
    beta2s: [0.9, 0.999],
    uncorrectedVsRmsprop: [0, 1e-16],
    adamVsRescaledRmsprop: [1e-16, 1e-16],
    adamVsRescaledRmspropEps: [1e-8, 1e-7],
    ratioError: [1e-16, 1e-16],
    ratioAtStep1: [3.16, 31.6],
  };
  it("holds only when the bias correction is off, if the plain runs differ", () => {
    const j = judgeRmspropLimit({ ...base, adamVsRmsprop: [0.07, 0.7] });
    expect(j.verdict).toMatch(/^holds only when/);
    expect(j.deciding).toMatchObject({ value: 0.7, threshold: "≤ 0.01" });
  });
  it("holds when the plain runs agree to 1 %", () => {
    const j = judgeRmspropLimit({ ...base, adamVsRmsprop: [0.001, 0.005] });
    expect(j.verdict).toBe("holds");
    expect(j.deciding?.value).toBe(0.005);
  });
  it("does not hold when the exact relation fails", () => {
    const j = judgeRmspropLimit({ ...base, adamVsRmsprop: [0.07, 0.7], ratioError: [0.1, 0] });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 0.1, threshold: "≤ 1e-12" });
  });
});
