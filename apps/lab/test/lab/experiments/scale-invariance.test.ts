import { describe, expect, it } from "vitest";
import { experiment, judgeScaleInvariance } from "../../../src/lab/experiments/scale-invariance.ts";
import { smokeCheck } from "./smoke.ts";

describe("scale-invariance (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "scale-invariance");
  }, 20000);
});

describe("judgeScaleInvariance", () => {
  const base = { factors: [1e-3, 1, 100], epsShare: [0.01, 1e-5, 1e-7], sgd: [1, 0, 5] };
  it("holds when both Adams are unchanged", () => {
    expect(
      judgeScaleInvariance({ ...base, adamExact: [1e-16, 0, 1e-16], adamEps: [1e-5, 0, 1e-8] }).verdict,
    ).toBe("holds");
  });
  it("holds only when ε is small against c·√v̂ when ε moves the small-c run", () => {
    const j = judgeScaleInvariance({ ...base, adamExact: [1e-16, 0, 1e-16], adamEps: [0.05, 0, 1e-8] });
    expect(j.verdict).toMatch(/^holds only when/);
    expect(j.deciding).toMatchObject({ value: 0.05, threshold: "≤ 1e-3 at every c" });
  });
  it("does not hold when even ε = 0 differs", () => {
    const j = judgeScaleInvariance({ ...base, adamExact: [1e-3, 0, 1e-16], adamEps: [0.05, 0, 1e-8] });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 1e-3, threshold: "≤ 1e-9" });
  });
  it("treats a diverged SGD as a change", () => {
    expect(
      judgeScaleInvariance({ ...base, sgd: [1, 0, null], adamExact: [0, 0, 0], adamEps: [0, 0, 0] }).reason,
    ).toMatch(/diverged/);
  });
});
