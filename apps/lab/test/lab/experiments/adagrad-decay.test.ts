import { describe, expect, it } from "vitest";
import { experiment, judgeAdagradDecay } from "../../../src/lab/experiments/adagrad-decay.ts";
import { smokeCheck } from "./smoke.ts";

describe("adagrad-decay (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "adagrad-decay");
  }, 20000);
});

describe("judgeAdagradDecay", () => {
  const fall = { adagrad: 0.4, rmsprop: 1 };
  it("holds when Adagrad decays, RMSprop is flat and Adagrad tracks worse and worse", () => {
    const m = {
      slope: { adagrad: -0.5, rmsprop: -0.05 },
      fall,
      recovery: { adagrad: [50, 100], rmsprop: [20, 25] },
    };
    const j = judgeAdagradDecay(m);
    expect(j.verdict).toBe("holds");
    // The tighter bar is 1.5× its own first recovery: 100 / 75.
    expect(j.deciding?.value).toBeCloseTo(100 / 75);
    expect(j.deciding?.threshold).toMatch(/^≥ 1/);
  });
  it("holds only when … if the decay does not hurt tracking", () => {
    const m = {
      slope: { adagrad: -0.5, rmsprop: 0 },
      fall,
      recovery: { adagrad: [30, 30], rmsprop: [25, 25] },
    };
    const j = judgeAdagradDecay(m);
    expect(j.verdict).toMatch(/^holds only when/);
    // Same quantity as in "holds" (averaged over seeds): 30 / (2 × 25).
    expect(j.deciding?.value).toBeCloseTo(0.6);
    expect(j.deciding?.label).toBe(
      judgeAdagradDecay({ ...m, recovery: { adagrad: [50, 100], rmsprop: [20, 25] } }).deciding?.label,
    );
  });
  it("does not hold when Adagrad's lr does not decay", () => {
    const m = {
      slope: { adagrad: -0.1, rmsprop: 0 },
      fall,
      recovery: { adagrad: [30, null], rmsprop: [25, 25] },
    };
    const j = judgeAdagradDecay(m);
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: -0.1, threshold: "≤ −0.25" });
  });
});
