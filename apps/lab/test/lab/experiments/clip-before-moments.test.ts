import { describe, expect, it } from "vitest";
import { experiment, judgeClipBeforeMoments } from "../../../src/lab/experiments/clip-before-moments.ts";
import { smokeCheck } from "./smoke.ts";

describe("clip-before-moments (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "clip-before-moments");
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
  const judgement = (none: number[], before: number[]) =>
    judgeClipBeforeMoments({
      response: {
        none: r(none[0]!, none[1]!),
        "clip before": r(before[0]!, before[1]!),
        "clip after": r(70, 0),
      },
    });
  const judge = (none: number[], before: number[]) => judgement(none, before).verdict;
  it("holds when clip-before keeps v̂ and the loss clean", () => {
    expect(judge([100, 0.7], [1, 0.01])).toBe("holds");
    expect(judgement([100, 0.7], [1.3, 0.01]).deciding).toMatchObject({
      value: 1.3,
      threshold: expect.stringMatching(/^≤ 2/),
    });
  });
  it("holds only when judged by the moments if the loss is not protected", () => {
    expect(judge([100, 0.7], [1, 0.5])).toMatch(/^holds only when/);
  });
  it("does not hold when clip-before leaves v̂ inflated or there is no scar", () => {
    expect(judge([100, 0.7], [50, 0.01])).toBe("does not hold");
    expect(judge([2, 0.7], [1, 0.01])).toBe("does not hold");
    // No scar: decided by the unclipped inflation; a non-finite one is reported as the cap.
    expect(judgement([2, 0.7], [1, 0.01]).deciding?.value).toBe(2);
    expect(judgement([100, 0.7], [Number.NaN, 0.01]).deciding?.value).toBe(1e6);
  });
});
