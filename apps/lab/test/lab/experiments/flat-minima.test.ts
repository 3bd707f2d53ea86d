import { describe, expect, it } from "vitest";
import { experiment, judgeFlatMinima } from "../../../src/lab/experiments/flat-minima.ts";
import { smokeCheck } from "./smoke.ts";

describe("flat-minima (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "flat-minima", { mentions: ["24 starts"] });
    expect(a.metrics.arms).toHaveLength(2 * 4);
    // SAM, the flatness reference: one lr, two radii, every start accounted for.
    const sam = a.metrics.sam as { rho: number; wideShare: number; sharp: number; neither: number }[];
    expect(sam.map((s) => s.rho)).toEqual([0.15, 0.3]);
    for (const s of sam) expect(Math.round(s.wideShare * 24) + s.sharp + s.neither).toBe(24);
  }, 20000);
});

describe("judgeFlatMinima", () => {
  const n = 200;
  // `moved` of the 40 sharp-basin starts end wide instead.
  const wide = (moved: number) => Array.from({ length: n }, (_, i) => (i < 40 ? (i < moved ? 1 : 0) : 1));
  const arms = (variant: "fixed" | "matched", moved: number) =>
    [0, 0.9, 0.99].map((beta) => ({
      variant,
      lr: 0.01,
      beta,
      wide: wide(beta === 0.99 ? moved : 0),
      sharp: 40 - (beta === 0.99 ? moved : 0),
      neither: 0,
    }));
  it("holds when high momentum moves starts to the wide basin at fixed and matched lr", () => {
    expect(judgeFlatMinima({ arms: [...arms("fixed", 20), ...arms("matched", 15)] }).verdict).toBe("holds");
  });
  it("holds only at fixed lr when matched runs do not move", () => {
    const j = judgeFlatMinima({ arms: [...arms("fixed", 20), ...arms("matched", 0)] });
    expect(j.verdict).toMatch(/^holds only when momentum also lengthens the step/);
    // The matched arms moved nothing: a gain of 0 with interval [0, 0], so the margin is 0 (rule > 0).
    expect(j.deciding).toMatchObject({ value: 0, threshold: "> 0 (gain ≥ 1 pp with its interval above 0)" });
    expect(j.deciding?.label).toMatch(/^wide-share gain over β = 0 at matched effective lr/);
  });
  it("decides on the matched arms' lower bound once the fixed lr moves starts", () => {
    const j = judgeFlatMinima({ arms: [...arms("fixed", 20), ...arms("matched", 15)] });
    // 15 of 200 starts moved (7.5 pp): the paired bootstrap's lower bound lies above 0 and below 7.5 pp.
    expect(j.deciding?.value).toBeGreaterThan(0);
    expect(j.deciding?.value).toBeLessThan(7.5);
  });
  it("does not hold when nothing moves (or too little)", () => {
    const j = judgeFlatMinima({ arms: [...arms("fixed", 1), ...arms("matched", 0)] });
    expect(j.verdict).toBe("does not hold");
    // One start moved at fixed lr: 0.5 pp < 1 pp, so the margin is capped at 0.
    expect(j.deciding?.label).toMatch(/at fixed lr/);
    expect(j.deciding?.value).toBeLessThanOrEqual(0);
  });
});
