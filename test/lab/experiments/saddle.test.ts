import { describe, expect, it } from "vitest";
import { experiment, judgeSaddle } from "../../../src/lab/experiments/saddle.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("saddle (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("saddle");
    expect(a.setup).toContain("smoke");
    expect(a.setup).toContain("σ ∈ {0.001}");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
    expect(a.judgement.verdict).toMatch(/^(holds|does not hold|holds only when .+)$/);
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
    expect(a.seeds).toEqual(b.seeds);
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
    expect(judgeSaddle(m).verdict).toBe("holds only when gradient noise is present");
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
