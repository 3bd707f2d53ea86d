import { describe, expect, it } from "vitest";
import { experiment, judgeL2 } from "../../../src/lab/experiments/l2-vs-decoupled.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("l2-vs-decoupled (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("l2-vs-decoupled");
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

describe("judgeL2", () => {
  it("holds with slope −1 for Adam + L2 and a flat AdamW", () => {
    const m = { l2Slope: -0.98, l2R2: 0.99, decoupledSlope: 0, decoupledSpread: 1, l2Spread: 1e4 };
    expect(judgeL2(m).verdict).toBe("holds");
  });
  it("does not hold when Adam + L2's decay does not depend on √v̂", () => {
    const m = { l2Slope: -0.1, l2R2: 0.1, decoupledSlope: 0, decoupledSpread: 1, l2Spread: 2 };
    expect(judgeL2(m).verdict).toBe("does not hold");
  });
  it("does not hold when AdamW's decay is uneven", () => {
    const m = { l2Slope: -1, l2R2: 1, decoupledSlope: -0.5, decoupledSpread: 3, l2Spread: 1e4 };
    expect(judgeL2(m).verdict).toBe("does not hold");
  });
});
