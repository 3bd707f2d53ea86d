import { describe, expect, it } from "vitest";
import { experiment, judgeSgdr } from "../../../src/lab/experiments/sgdr.ts";
import { smokeCheck } from "./smoke.ts";

describe("sgdr (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "sgdr", { mentions: ["6 uniform random starts"] });
    expect(a.metrics.arms).toHaveLength(2 * 2 * 3);
  }, 20000);
});

describe("judgeSgdr", () => {
  const n = 100;
  const ones = (k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
  const arms = (noise: number, sgdr: number, cosine: number, constant: number, sgd = sgdr) => [
    {
      noise,
      optimizer: "AdamW",
      schedule: "SGDR",
      peak: 1,
      success: ones(sgdr),
      byPeak: [],
      lateMaxMedian: 0,
    },
    {
      noise,
      optimizer: "AdamW",
      schedule: "cosine",
      peak: 1,
      success: ones(cosine),
      byPeak: [],
      lateMaxMedian: 0,
    },
    {
      noise,
      optimizer: "AdamW",
      schedule: "constant",
      peak: 1,
      success: ones(constant),
      byPeak: [],
      lateMaxMedian: 0,
    },
    {
      noise,
      optimizer: "SGD+momentum",
      schedule: "SGDR",
      peak: 1,
      success: ones(sgd),
      byPeak: [],
      lateMaxMedian: 0,
    },
  ];
  it("holds when restarts beat both baselines with and without noise", () => {
    expect(judgeSgdr({ arms: [...arms(0, 60, 30, 20), ...arms(0.3, 70, 40, 20)] }).verdict).toBe("holds");
  });
  it("holds only with noise when the clean runs do not differ", () => {
    expect(judgeSgdr({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 70, 40, 20)] }).verdict).toBe(
      "holds only when gradient noise is present",
    );
  });
  it("does not hold when one cosine anneal beats the restarts: their gain over a constant lr is annealing's", () => {
    const j = judgeSgdr({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 60, 75, 20)] });
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toMatch(/its 40 pp over a constant lr/);
    expect(j.deciding).toMatchObject({ value: 0, threshold: "≥ 5 pp with the 95 % interval above 0" });
  });
  it("flags AdamW when SGD handles the restarts clearly better", () => {
    expect(judgeSgdr({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 60, 30, 20, 95)] }).verdict).toMatch(
      /AdamW handles them worse/,
    );
  });
  it("does not hold when restarts never help", () => {
    expect(judgeSgdr({ arms: [...arms(0, 30, 30, 30), ...arms(0.3, 30, 40, 35)] }).verdict).toBe(
      "does not hold",
    );
  });
});
