import { describe, expect, it } from "vitest";
import {
  exactFixedPoint,
  experiment,
  judgeSteady,
  noisyFixedPoint,
} from "../../../src/lab/experiments/adamw-steady-state.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("adamw-steady-state (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("adamw-steady-state");
    expect(a.setup).toContain("smoke");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
    expect(a.seeds.length).toBeGreaterThan(0);
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
