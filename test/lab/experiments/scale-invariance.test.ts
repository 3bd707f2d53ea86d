import { describe, expect, it } from "vitest";
import { experiment, judgeScaleInvariance } from "../../../src/lab/experiments/scale-invariance.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("scale-invariance (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("scale-invariance");
    expect(a.setup).toContain("smoke");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
    const json = JSON.stringify(a.metrics);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(json)).toEqual(a.metrics);
    expect(a.figures.length).toBeGreaterThanOrEqual(1);
    for (const f of a.figures) {
      expect(f.caption.length).toBeGreaterThan(0);
      expect(JSON.stringify(f.spec)).toMatch(/"values":\[\{/);
    }
    expect(json).toBe(JSON.stringify(b.metrics));
    expect(a.judgement).toEqual(b.judgement);
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
    expect(
      judgeScaleInvariance({ ...base, adamExact: [1e-16, 0, 1e-16], adamEps: [0.05, 0, 1e-8] }).verdict,
    ).toMatch(/^holds only when/);
  });
  it("does not hold when even ε = 0 differs", () => {
    expect(
      judgeScaleInvariance({ ...base, adamExact: [1e-3, 0, 1e-16], adamEps: [0.05, 0, 1e-8] }).verdict,
    ).toBe("does not hold");
  });
  it("treats a diverged SGD as a change", () => {
    expect(
      judgeScaleInvariance({ ...base, sgd: [1, 0, null], adamExact: [0, 0, 0], adamEps: [0, 0, 0] }).reason,
    ).toMatch(/diverged/);
  });
});
