import { describe, expect, it } from "vitest";
import { experiment, judgePinn, type PinnMeasurement } from "../../../src/lab/experiments/pinn.ts";
import { smokeCheck } from "./smoke.ts";

describe("pinn experiment (smoke)", () => {
  it("runs, reports finite metrics and figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "pinn", {
      mentions: ["smoke mode", "1-6-6-1", "30 full-batch steps"],
    });
    expect(a.metrics.leakedTensors).toBe(0);
    const med = a.metrics.medianMaxError as Record<string, number | null>;
    expect(Object.keys(med).length).toBe(3);
    for (const v of Object.values(med)) expect(Number.isFinite(v)).toBe(true);
    expect(a.figures.length).toBe(3);
    expect(a.seeds.length).toBe(1);
    // the Adam → L-BFGS recipe: L-BFGS ran past Adam's half of the 30 evaluations, within the budget
    const recipe = a.metrics.recipe as { evaluations: number[]; medianMaxError: number };
    for (const e of recipe.evaluations) {
      expect(e).toBeGreaterThan(15);
      expect(e).toBeLessThanOrEqual(30);
    }
    expect(Number.isFinite(recipe.medianMaxError)).toBe(true);
    expect(a.tables?.[0]?.rows.map((r) => r[0])).toContain("Adam → L-BFGS");
  }, 30_000);
});

const m = (
  name: string,
  kind: PinnMeasurement["kind"],
  weightDecay: number,
  maxErrors: number[],
): PinnMeasurement => ({
  name,
  kind,
  weightDecay,
  maxErrors,
});

describe("judgePinn", () => {
  const adam = m("Adam", "adam", 0, [1e-3, 2e-3, 1.5e-3]);
  it("holds when every AdamW λ solves the problem as well as Adam", () => {
    const j = judgePinn([
      adam,
      m("W.01", "adamw", 0.01, [1e-3, 2e-3, 2e-3]),
      m("W.1", "adamw", 0.1, [2e-3, 2e-3, 3e-3]),
    ]);
    expect(j.verdict).toBe("holds");
    expect(j.reason).toContain("neither helped nor hurt");
    // Medians: AdamW λ = 0.01 2e-3, Adam 1.5e-3.
    expect(j.deciding?.value).toBeCloseTo(2 / 1.5, 12);
  });
  it("holds only when λ is small if large decay costs accuracy", () => {
    const j = judgePinn([
      adam,
      m("W.01", "adamw", 0.01, [1e-3, 2e-3, 2e-3]),
      m("W.1", "adamw", 0.1, [5e-3, 8e-3, 9e-3]),
    ]);
    expect(j.verdict).toBe("holds only when λ ≤ 0.01");
  });
  it("holds only when λ is small, flagging the cost, if AdamW solves but ≥ 2× worse than Adam", () => {
    const j = judgePinn([
      adam,
      m("W.01", "adamw", 0.01, [4e-3, 5e-3, 6e-3]),
      m("W.1", "adamw", 0.1, [0.05, 0.08, 0.09]),
    ]);
    expect(j.verdict).toBe("holds only when λ ≤ 0.01");
    expect(j.reason).toContain("cost");
    expect(j.deciding).toMatchObject({
      value: expect.closeTo(5 / 1.5, 12),
      threshold: expect.stringMatching(/^< 2/),
    });
  });
  it("does not hold when AdamW fails on most seeds (NaN counts as failure)", () => {
    const j = judgePinn([adam, m("W.01", "adamw", 0.01, [0.2, Number.NaN, 5e-3])]);
    expect(j.verdict).toBe("does not hold");
  });
});
