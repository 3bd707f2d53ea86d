import { describe, expect, it } from "vitest";
import { experiment, judgeImbalance } from "../../../src/lab/experiments/imbalance.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("imbalance (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "imbalance", [
      "300 split's training digits",
      "100 held-out digits",
      "784 → 8",
    ]);
    const counts = r.metrics.trainCounts as number[];
    expect(counts).toHaveLength(10);
    expect(counts[9]).toBeLessThan(counts[0]! / 5); // the rare digit sits in the last column
  }, 20000);
});

describe("judgeImbalance", () => {
  const arms = (recall: number[], ratio: number[]) => ({
    recall: {
      "no decay": recall[0]!,
      AdamW: recall[1]!,
      "AdamW + class-weighted loss": recall[2]!,
      "AdamW, class-conditional decay": recall[3]!,
    },
    normRatio: {
      "no decay": ratio[0]!,
      AdamW: ratio[1]!,
      "AdamW + class-weighted loss": ratio[2]!,
      "AdamW, class-conditional decay": ratio[3]!,
    },
    trials: 400, // margin 5 pp
  });
  it("holds when decay shrinks and hurts the rare class and a fix recovers it", () => {
    expect(judgeImbalance(arms([0.6, 0.4, 0.7, 0.6], [1, 0.7, 0.8, 1.1])).verdict).toBe("holds");
  });
  it("holds only for the harm when no fix helps", () => {
    expect(judgeImbalance(arms([0.6, 0.4, 0.42, 0.41], [1, 0.7, 0.8, 1.1])).verdict).toMatch(
      /^holds only when limited to the harm/,
    );
  });
  it("holds only for the fix when decay is not the cause but reweighting helps", () => {
    expect(judgeImbalance(arms([0.5, 0.48, 0.9, 0.49], [0.9, 0.88, 0.85, 1.2])).verdict).toBe(
      "holds only when the fix is AdamW + class-weighted loss: uniform decay itself does not measurably hurt the rare class",
    );
  });
  it("does not call a drop at the floor 'no harm': recall without decay under the margin cannot show one", () => {
    const j = judgeImbalance(arms([0.05, 0.03, 0.6, 0.04], [0.9, 0.88, 0.85, 1.2]));
    expect(j.verdict).toBe(
      "holds only when judged by the fix (AdamW + class-weighted loss): the harm is below what this test resolves",
    );
    expect(j.deciding?.value).toBeCloseTo(2);
    expect(judgeImbalance(arms([0.05, 0.03, 0.06, 0.04], [0.9, 0.88, 0.85, 1.2])).verdict).toBe(
      "inconclusive",
    );
  });
  it("does not hold when nothing clears its margin", () => {
    expect(judgeImbalance(arms([0.5, 0.49, 0.5, 0.51], [1, 0.98, 1, 1])).verdict).toBe("does not hold");
  });
});
