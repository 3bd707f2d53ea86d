import { describe, expect, it } from "vitest";
import { experiment, judgePlateau } from "../../../src/lab/experiments/plateau.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("plateau (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("plateau");
    expect(a.setup).toContain("smoke");
    expect(a.setup).toContain("2 starts");
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
    expect(judgePlateau(m).verdict).toBe("holds");
  });
  it("holds only on the landscape where it does", () => {
    const m = { maxSteps: 10000, rows: [...rows("A", 3000, 300), ...rows("B", 100, 70)] };
    expect(judgePlateau(m).verdict).toBe("holds only when crossing the A, not the B");
  });
  it("does not hold when momentum gains little anywhere", () => {
    const m = { maxSteps: 10000, rows: [...rows("A", 300, 200), ...rows("B", 100, 70)] };
    expect(judgePlateau(m).verdict).toBe("does not hold");
  });
});
