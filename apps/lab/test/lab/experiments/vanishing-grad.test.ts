import { describe, expect, it } from "vitest";
import { experiment, judgeVanishing } from "../../../src/lab/experiments/vanishing-grad.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("vanishing-grad (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "vanishing-grad", [
      "200 MNIST training digits",
      "4 minibatches",
      "16 × 4",
    ]);
    const sgd = r.metrics.sgd as Record<string, number[]>;
    expect(sgd.relUpdate).toHaveLength(5);
    expect(r.figures).toHaveLength(3);
  }, 20000);
});

describe("judgeVanishing", () => {
  const base = {
    gradSpread: 5,
    sgdSpread: 5,
    adamSpread: 0.3,
    adamFirstRms: 1e-4,
    sgdLoss: 2.3,
    adamLoss: 2.0,
  };
  it("holds when Adam keeps the layers within a decade", () => {
    expect(judgeVanishing(base).verdict).toBe("holds");
  });
  it("holds only relative to SGD when Adam narrows but leaves > 1 decade", () => {
    const j = judgeVanishing({ ...base, adamSpread: 2 });
    expect(j.verdict).toMatch(/^holds only when compared with SGD/);
    expect(j.deciding).toMatchObject({ value: 2, threshold: "≤ 1, and ≤ half SGD's spread" });
    // The same quantity in every branch where the gradients vanish, so seeds can be averaged.
    expect(judgeVanishing(base).deciding?.label).toBe(j.deciding?.label);
  });
  it("does not hold when Adam spreads like SGD", () => {
    expect(judgeVanishing({ ...base, adamSpread: 4 }).verdict).toBe("does not hold");
  });
  it("says the setup does not test the claim when gradients do not vanish", () => {
    const j = judgeVanishing({ ...base, gradSpread: 0.5 });
    expect(j.verdict).toBe("holds only when the gradients actually vanish");
    expect(j.deciding).toMatchObject({ value: 0.5, threshold: "≥ 1 for the setup to test the claim" });
  });
  it("names ε when the first layer's gradients are near it", () => {
    expect(judgeVanishing({ ...base, adamFirstRms: 5e-9 }).reason).toContain("ε");
  });
});
