import { describe, expect, it } from "vitest";
import { experiment, judgeSilent } from "../../../src/lab/experiments/silent-params.ts";
import { smokeCheck } from "./smoke.ts";

describe("silent-params (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "silent-params");
  }, 20000);
});

describe("judgeSilent", () => {
  const base = {
    steps: 3000,
    lr: 0.01,
    lambda: 0.05,
    adamwFinal: 0.22,
    adamwStepsToTarget: null,
    adamwFactor: 0.9995,
    adamwExpectedFactor: 0.9995,
  };
  it("does not hold when Adam + L2 drives the silent weight to zero", () => {
    const j = judgeSilent({ ...base, adamL2Final: 1e-20, adamL2StepsToTarget: 200 });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 1e-20, threshold: "> 0.01 (not regularized to zero)" });
  });
  it("holds when Adam + L2 leaves it and AdamW shrinks it by 1 − lr·λ", () => {
    const j = judgeSilent({ ...base, adamL2Final: 1, adamL2StepsToTarget: null });
    expect(j.verdict).toBe("holds");
    expect(j.deciding?.value).toBe(1);
  });
  it("does not hold when AdamW's factor is off", () => {
    const m = { ...base, adamwFactor: 0.999, adamL2Final: 1, adamL2StepsToTarget: null };
    const j = judgeSilent(m);
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding?.value).toBeCloseTo(0.999 / 0.9995 - 1, 12);
    expect(j.deciding?.threshold).toBe("|·| < 1e-9");
  });
});
