import { describe, expect, it } from "vitest";
import { experiment, judgeGrid, summarizeGrid } from "../../../src/lab/experiments/adamw-generalization.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("adamw-generalization (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "adamw-generalization", [
      "200 MNIST training digits",
      "100 test digits",
      "784 → 16",
    ]);
    const w = r.metrics.AdamW as { meanTestAccuracy: number[][] };
    expect(w.meanTestAccuracy).toHaveLength(2);
    expect(w.meanTestAccuracy[0]).toHaveLength(2);
    expect(JSON.stringify(r.figures[0]!.spec)).toContain("★");
  }, 20000);
});

describe("summarizeGrid", () => {
  it("finds the best cell, the region within 1 pp and a separable λ effect", () => {
    // acc[λ][lr] = a(lr) + b(λ): no interaction at all.
    const a = [0.8, 0.9, 0.85];
    const b = [0, 0.02, -0.05];
    const s = summarizeGrid(b.map((bw) => a.map((al) => al + bw)));
    expect(s.bestCell).toEqual({ wd: 1, lr: 1 });
    expect(s.separability).toBeCloseTo(1, 12);
    expect(s.region).toEqual([{ wd: 1, lr: 1 }]);
  });
  it("gives no separability when λ changes nothing", () => {
    expect(
      summarizeGrid([
        [0.8, 0.9],
        [0.8, 0.9],
      ]).separability,
    ).toBeNull();
  });
});

describe("judgeGrid", () => {
  const diagonal = [
    [0.9, 0.8, 0.7],
    [0.8, 0.88, 0.8],
    [0.7, 0.8, 0.86],
  ];
  const band = [
    [0.85, 0.85, 0.85],
    [0.95, 0.95, 0.945],
    [0.8, 0.8, 0.8],
  ];
  it("holds when AdamW is better, wider and separable", () => {
    expect(judgeGrid({ acc: { AdamW: band, "Adam+L2": diagonal } }).verdict).toBe("holds");
  });
  it("holds only by the parts that clear their margins", () => {
    const lower = band.map((r) => r.map((v) => v - 0.05));
    expect(judgeGrid({ acc: { AdamW: lower, "Adam+L2": diagonal } }).verdict).toBe(
      "holds only when judged by width of the good region and separability",
    );
  });
  it("does not hold when Adam+L2 is better by more than 1 pp", () => {
    expect(judgeGrid({ acc: { AdamW: diagonal, "Adam+L2": band } }).verdict).toBe("does not hold");
  });
  it("is inconclusive when λ does nothing resolvable for either: no power, not evidence against", () => {
    const flat = [
      [0.8, 0.9, 0.85],
      [0.803, 0.905, 0.85],
    ];
    const j = judgeGrid({ acc: { AdamW: flat, "Adam+L2": flat } });
    expect(j.verdict).toBe("inconclusive");
    expect(j.reason).toContain("less than the 1 pp this test resolves");
    expect(j.deciding?.value).toBeCloseTo(0.5);
  });
  it("says when a best lr sits on the grid's edge", () => {
    const flat = [
      [0.8, 0.9],
      [0.8, 0.9],
    ];
    expect(judgeGrid({ acc: { AdamW: flat, "Adam+L2": flat } }).reason).toContain("on the grid's edge");
  });
});
