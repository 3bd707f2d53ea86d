import { describe, expect, it } from "vitest";
import { experiment, judgeL2 } from "../../../src/lab/experiments/l2-vs-decoupled.ts";
import { smokeCheck } from "./smoke.ts";

describe("l2-vs-decoupled (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "l2-vs-decoupled");
  }, 20000);
});

describe("judgeL2", () => {
  it("holds with slope −1 for Adam + L2 and a flat AdamW", () => {
    const m = { l2Slope: -0.98, l2R2: 0.99, decoupledSlope: 0, decoupledSpread: 1, l2Spread: 1e4 };
    const j = judgeL2(m);
    expect(j.verdict).toBe("holds");
    expect(j.deciding).toMatchObject({
      value: -0.98,
      threshold: "within −1 ± 0.2 (spread ≥ 10×; AdamW's ≤ 1.01×)",
    });
  });
  it("does not hold when Adam + L2's decay does not depend on √v̂", () => {
    const m = { l2Slope: -0.1, l2R2: 0.1, decoupledSlope: 0, decoupledSpread: 1, l2Spread: 2 };
    const j = judgeL2(m);
    expect(j.verdict).toBe("does not hold");
    // Same label as when it holds: the slope is what failed.
    expect(j.deciding?.label).toBe(judgeL2({ ...m, l2Slope: -1, l2Spread: 1e4 }).deciding?.label);
    expect(j.deciding?.value).toBe(-0.1);
  });
  it("does not hold when AdamW's decay is uneven", () => {
    const m = { l2Slope: -1, l2R2: 1, decoupledSlope: -0.5, decoupledSpread: 3, l2Spread: 1e4 };
    const j = judgeL2(m);
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 3, threshold: "≤ 1.01×" });
  });
});
