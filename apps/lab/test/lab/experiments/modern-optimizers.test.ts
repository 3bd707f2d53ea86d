import { describe, expect, it } from "vitest";
import { experiment, judgeModern } from "../../../src/lab/experiments/modern-optimizers.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("modern-optimizers (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "modern-optimizers", [
      "200 MNIST training digits",
      "100 validation digits",
      "784 → 8",
    ]);
    const selected = r.metrics.selected as Record<string, unknown>;
    expect(Object.keys(selected)).toEqual([
      "AdamW",
      "Lion",
      "LAMB",
      "Adafactor",
      "Muon",
      "Schedule-Free AdamW",
      "Prodigy",
      "D-Adapt AdamW",
      "AdEMAMix",
      "ADOPT",
      "SOAP",
      "Yogi",
      "AdaBelief",
      "Adan",
      "LARS",
      "FTRL",
    ]);
  }, 30000);
});

describe("judgeModern", () => {
  it("holds when every optimizer is within 1 pp of AdamW", () => {
    expect(judgeModern({ best: { AdamW: 0.9, Lion: 0.895, Muon: 0.92 } }).verdict).toBe("holds");
  });
  it("holds only for those that match", () => {
    const j = judgeModern({ best: { AdamW: 0.9, Lion: 0.85, Muon: 0.92, LAMB: 0.8 } });
    expect(j.verdict).toBe("holds only when the optimizer is Muon");
    // LAMB, the worst, is 10 pp below AdamW.
    expect(j.deciding).toMatchObject({
      value: expect.closeTo(-10, 9),
      threshold: "≥ −1 pp for every optimizer",
    });
  });
  it("names the shorter list: the ones that fall short when most match", () => {
    const best = { AdamW: 0.9, A: 0.9, B: 0.91, C: 0.895, D: 0.8, E: 0.7, F: 0.9, G: 0.9 };
    expect(judgeModern({ best }).verdict).toBe("holds only when the optimizer is neither D nor E");
    expect(judgeModern({ best: { ...best, E: 0.9 } }).verdict).toBe("holds only when the optimizer is not D");
    expect(judgeModern({ best: { ...best, A: 0.5 } }).verdict).toBe(
      "holds only when the optimizer is none of A, D, E",
    );
    expect(judgeModern({ best: { ...best, A: 0.5, B: 0.5 } }).verdict).toBe(
      "holds only when the optimizer is C or F or G",
    );
  });
  it("does not hold when none matches", () => {
    expect(judgeModern({ best: { AdamW: 0.9, Lion: 0.85 } }).verdict).toBe("does not hold");
  });
});
