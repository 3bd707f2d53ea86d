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
    expect(judgeSteady({ exact: s, noisy: s }).verdict).toBe("holds");
  });
  it("holds only when the decay dominates if the weak part is flat", () => {
    const s = { slopeAll: -0.6, slopeStrong: -1, slopeWeak: 0 };
    expect(judgeSteady({ exact: s, noisy: s }).verdict).toMatch(/^holds only when/);
  });
  it("does not hold otherwise", () => {
    const s = { slopeAll: -0.3, slopeStrong: -0.4, slopeWeak: 0 };
    expect(judgeSteady({ exact: s, noisy: s }).verdict).toBe("does not hold");
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
