import { describe, expect, it } from "vitest";
import { experiment, judgeCyclical } from "../../../src/lab/experiments/cyclical.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("cyclical (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("cyclical");
    expect(a.setup).toContain("smoke");
    expect(a.setup).toContain("6 uniform random starts");
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
    expect(a.metrics.arms).toHaveLength(2 * 3);
  }, 20000);
});

describe("judgeCyclical", () => {
  const n = 100;
  const ones = (k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
  const arms = (noise: number, clr: number, cosine: number, constant: number) =>
    [
      ["triangular CLR", clr],
      ["cosine", cosine],
      ["constant", constant],
    ].map(([schedule, k]) => ({
      noise,
      schedule: schedule as string,
      peak: 1,
      success: ones(k as number),
      bestBasin: ones(k as number),
      refineGap: 0.01,
      byPeak: [],
    }));
  it("holds when CLR beats both everywhere", () => {
    expect(judgeCyclical({ arms: [...arms(0, 50, 30, 20), ...arms(0.3, 70, 40, 20)] }).verdict).toBe("holds");
  });
  it("holds only against constant when cosine is as good everywhere", () => {
    expect(judgeCyclical({ arms: [...arms(0, 50, 50, 20), ...arms(0.3, 70, 70, 20)] }).verdict).toBe(
      "holds only when compared with a constant lr, not with cosine annealing",
    );
  });
  it("holds only with noise when the clean runs do not differ", () => {
    expect(judgeCyclical({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 70, 40, 20)] }).verdict).toBe(
      "holds only when gradient noise is present",
    );
  });
  it("does not hold when CLR never wins", () => {
    expect(judgeCyclical({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 30, 60, 30)] }).verdict).toBe(
      "does not hold",
    );
  });
});
