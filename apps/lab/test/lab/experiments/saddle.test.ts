import { describe, expect, it } from "vitest";
import { experiment, judgeSaddle } from "../../../src/lab/experiments/saddle.ts";
import { smokeCheck } from "./smoke.ts";

describe("saddle (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "saddle", { mentions: ["σ ∈ {0.001}"] });
    expect(Object.keys(a.metrics.chosenLr as object)).toEqual(["GD", "Momentum 0.9", "Adam"]);
  }, 20000);
});

describe("judgeSaddle", () => {
  const n = 12;
  const rep = (v: number | null) => Array.from({ length: n }, (_, i) => (v === null ? null : v + (i % 3)));
  const steps = (gd: number | null, adam: number | null) => ({
    GD: rep(gd),
    "Momentum 0.9": rep(20),
    Adam: rep(adam),
  });
  it("holds when Adam escapes much sooner with and without noise", () => {
    const m = { maxSteps: 1000, clean: steps(40, 5), noisy: [{ sigma: 1e-3, steps: steps(60, 5) }] };
    expect(judgeSaddle(m).verdict).toBe("holds");
  });
  it("holds only when noise is present if the noise-free escapes are alike", () => {
    const m = { maxSteps: 1000, clean: steps(10, 10), noisy: [{ sigma: 1e-3, steps: steps(60, 5) }] };
    const j = judgeSaddle(m);
    expect(j.verdict).toBe("holds only when gradient noise is present");
    // The noise-free ratio (GD and Adam alike: 1) is the weakest condition.
    expect(j.deciding?.value).toBeCloseTo(1);
    expect(j.deciding?.threshold).toBe("≥ 1.5 with the 95 % CI above 1, in every condition");
  });
  it("holds only without noise in the mirrored case", () => {
    const m = { maxSteps: 1000, clean: steps(60, 5), noisy: [{ sigma: 1e-3, steps: steps(10, 10) }] };
    expect(judgeSaddle(m).verdict).toBe("holds only when the gradient is noise-free");
  });
  it("does not hold when GD escapes as fast (never-escaped runs count as maxSteps)", () => {
    const m = { maxSteps: 1000, clean: steps(10, 12), noisy: [{ sigma: 1e-3, steps: steps(null, null) }] };
    expect(judgeSaddle(m).verdict).toBe("does not hold");
  });
});
