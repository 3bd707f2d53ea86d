import { describe, expect, it } from "vitest";
import { experiment, judgePlateau } from "../../../src/lab/experiments/plateau.ts";
import { smokeCheck } from "./smoke.ts";

describe("plateau (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "plateau", { mentions: ["2 starts"] });
    expect(a.metrics.rows).toHaveLength(2 * 4);
  }, 20000);
});

describe("judgePlateau", () => {
  const rows = (l: string, gd: number | null, mom: number | null) => [
    { landscape: l, optimizer: "GD", lr: 1, steps: gd, amplification: 1 },
    { landscape: l, optimizer: "Momentum 0.9", lr: 1, steps: mom, amplification: 9 },
    { landscape: l, optimizer: "Adam", lr: 1, steps: 5, amplification: 100 },
  ];
  it("holds when momentum crosses ≥ 3× sooner on both landscapes", () => {
    const m = { maxSteps: 10000, rows: [...rows("A", 3000, 300), ...rows("B", null, 900)] };
    const j = judgePlateau(m);
    expect(j.verdict).toBe("holds");
    // B's GD never crossed: counted as maxSteps, 10000/900 ≈ 11 ≥ A's 10.
    expect(j.deciding?.value).toBeCloseTo(10);
  });
  it("holds only on the landscape where it does", () => {
    const m = { maxSteps: 10000, rows: [...rows("A", 3000, 300), ...rows("B", 100, 70)] };
    const j = judgePlateau(m);
    expect(j.verdict).toBe("holds only when crossing the A, not the B");
    // B decides: GD 100 steps against momentum's 70.
    expect(j.deciding?.value).toBeCloseTo(100 / 70);
    expect(j.deciding?.threshold).toBe("≥ 3 on every landscape");
  });
  it("does not hold when momentum gains little anywhere", () => {
    const m = { maxSteps: 10000, rows: [...rows("A", 300, 200), ...rows("B", 100, 70)] };
    expect(judgePlateau(m).verdict).toBe("does not hold");
  });
});
