import { describe, expect, it } from "vitest";
import {
  exactFixedPoint,
  experiment,
  judgeSteady,
  noisyFixedPoint,
} from "../../../src/lab/experiments/adamw-steady-state.ts";
import { smokeCheck } from "./smoke.ts";

describe("adamw-steady-state (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "adamw-steady-state");
  }, 20000);
});

describe("judgeSteady", () => {
  it("holds when the whole grid follows 1/λ", () => {
    const s = { slopeAll: -1, slopeStrong: -1, slopeWeak: -0.95 };
    const j = judgeSteady({ exact: s, noisy: { ...s, slopeAll: -0.9 } });
    expect(j.verdict).toBe("holds");
    expect(j.deciding).toMatchObject({ threshold: "≤ 0.15" });
    expect(j.deciding?.value).toBeCloseTo(0.1);
  });
  it("holds only when the decay dominates if the weak part is flat", () => {
    const s = { slopeAll: -0.6, slopeStrong: -1, slopeWeak: 0 };
    const j = judgeSteady({ exact: s, noisy: { ...s, slopeStrong: -0.95 } });
    expect(j.verdict).toMatch(/^holds only when/);
    expect(j.deciding?.value).toBeCloseTo(0.05);
  });
  it("does not hold otherwise", () => {
    const s = { slopeAll: -0.3, slopeStrong: -0.4, slopeWeak: 0 };
    const j = judgeSteady({ exact: s, noisy: s });
    expect(j.verdict).toBe("does not hold");
    // Same quantity as "holds only when", now past its threshold; a missing fit counts as 99.
    expect(j.deciding?.value).toBeCloseTo(0.6);
    const only = { slopeAll: -0.6, slopeStrong: -1, slopeWeak: 0 };
    expect(j.deciding?.label).toBe(judgeSteady({ exact: only, noisy: only }).deciding?.label);
    expect(judgeSteady({ exact: s, noisy: { ...s, slopeStrong: null } }).deciding?.value).toBe(99);
  });
});

describe("AdamW's fixed points", () => {
  it("sits at min(c, 1/λ) with exact gradients", () => {
    expect(exactFixedPoint(1)).toBeCloseTo(1, 6);
    expect(exactFixedPoint(0.01)).toBeCloseTo(10, 4);
  });
  it("shrinks like hc/(h + λσ) with noise", () => {
    expect(noisyFixedPoint(1e-4)).toBeGreaterThan(9.9);
    expect(noisyFixedPoint(10) * 10).toBeCloseTo(10 / 30, 1);
  });
});
