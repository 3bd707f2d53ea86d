import { describe, expect, it } from "vitest";
import { experiment, judgeClipBeforeMoments } from "../../../src/lab/experiments/clip-before-moments.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("clip-before-moments (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("clip-before-moments");
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

describe("judgeClipBeforeMoments", () => {
  const r = (vInflation: number, excess: number) => ({
    jump: 0,
    excess,
    vInflation,
    contamination: 1,
    updateJump: 1,
  });
  const judge = (none: number[], before: number[]) =>
    judgeClipBeforeMoments({
      response: {
        none: r(none[0]!, none[1]!),
        "clip before": r(before[0]!, before[1]!),
        "clip after": r(70, 0),
      },
    }).verdict;
  it("holds when clip-before keeps v̂ and the loss clean", () => {
    expect(judge([100, 0.7], [1, 0.01])).toBe("holds");
  });
  it("holds only when judged by the moments if the loss is not protected", () => {
    expect(judge([100, 0.7], [1, 0.5])).toMatch(/^holds only when/);
  });
  it("does not hold when clip-before leaves v̂ inflated or there is no scar", () => {
    expect(judge([100, 0.7], [50, 0.01])).toBe("does not hold");
    expect(judge([2, 0.7], [1, 0.01])).toBe("does not hold");
  });
});
