import { describe, expect, it } from "vitest";
import { experiment, judgeCyclical } from "../../../src/lab/experiments/cyclical.ts";
import { smokeCheck } from "./smoke.ts";

describe("cyclical (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "cyclical", { mentions: ["6 uniform random starts"] });
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
  it("does not hold when one cosine anneal does as well: the gain over a constant lr is annealing's", () => {
    const j = judgeCyclical({ arms: [...arms(0, 50, 50, 20), ...arms(0.3, 70, 70, 20)] });
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toMatch(/one cosine anneal of the same budget gains as well: it is annealing's/);
    expect(j.deciding?.value).toBe(0);
  });
  it("is inconclusive when the interval neither shows nor excludes a gain over cosine", () => {
    const clr = Array.from({ length: n }, (_, i) => (i < 50 ? 1 : 0));
    const cosine = Array.from({ length: n }, (_, i) => (i >= 47 && i < 97 ? 1 : 0));
    const base = arms(0.3, 0, 0, 0);
    base[0]!.success = clr;
    base[1]!.success = cosine;
    const j = judgeCyclical({ arms: base });
    expect(j.verdict).toBe("inconclusive");
    expect(j.reason).toMatch(/resolves gains of about \d+ pp or more/);
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
