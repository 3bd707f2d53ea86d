import { describe, expect, it } from "vitest";
import { experiment, judgeGamma } from "../../../src/lab/experiments/batchnorm-gamma.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("batchnorm-gamma (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "batchnorm-gamma", [
      "200 MNIST training digits",
      "3 minibatches",
      "784 → 8",
    ]);
    const first = r.metrics.firstStepSlope as Record<string, number>;
    // The first step starts from the same weights and batch for every γ: SGD's step is γ·(the same
    // gradient up to the softmax's dependence on γ), Adam's is lr·sign(g) whatever γ.
    expect(first.SGD).toBeGreaterThan(0.8);
    expect(Math.abs(first.Adam!)).toBeLessThan(0.01);
  }, 20000);
});

describe("judgeGamma", () => {
  it("holds when SGD follows γ and the adaptive ones do not", () => {
    const j = judgeGamma({ slopes: { SGD: 0.9, RMSprop: 0.05, Adam: -0.1 } });
    expect(j.verdict).toBe("holds");
    expect(j.deciding).toMatchObject({ value: 0.9, threshold: "≥ 0.5, with every adaptive |slope| ≤ 0.25" });
  });
  it("holds only for the adaptive optimizers that cancel γ", () => {
    const j = judgeGamma({ slopes: { SGD: 0.9, RMSprop: 0.6, Adam: 0.1 } });
    expect(j.verdict).toBe("holds only when the optimizer is Adam");
    // RMSprop's slope is the one over 0.25.
    expect(j.deciding).toMatchObject({ value: 0.6, threshold: "≤ 0.25 for each" });
  });
  it("does not hold when SGD does not feel γ", () => {
    const j = judgeGamma({ slopes: { SGD: 0.2, RMSprop: 0, Adam: 0 } });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding?.value).toBe(0.2);
  });
  it("does not hold when SGD's slope is not finite (a step was 0 or NaN)", () => {
    const j = judgeGamma({ slopes: { SGD: Number.NaN, RMSprop: 0, Adam: 0 } });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding?.value).toBe(99);
  });
  it("does not hold when no adaptive optimizer cancels γ", () => {
    expect(judgeGamma({ slopes: { SGD: 1, RMSprop: 0.7, Adam: 0.8 } }).verdict).toBe("does not hold");
  });
});
