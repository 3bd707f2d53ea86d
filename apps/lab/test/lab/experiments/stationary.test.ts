import { describe, expect, it } from "vitest";
import { experiment, judgeStationary } from "../../../src/lab/experiments/stationary.ts";
import { smokeCheck } from "./smoke.ts";

describe("stationary (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "stationary", { mentions: ["lr ∈ {0.1}"] });
    expect((a.metrics.rows as unknown[]).length).toBe(4);
  }, 20000);
});

describe("sgdStationaryVariance", () => {
  it("is ησ²/(h(2 − ηh))", async () => {
    const { sgdStationaryVariance } = await import("../../../src/lab/experiments/stationary.ts");
    expect(sgdStationaryVariance(0.1, 10, 10)).toBeCloseTo((0.1 * 10) / (10 * (2 - 1)), 12);
  });
});

describe("judgeStationary", () => {
  const row = (optimizer: string, lr: number, offset: number, variance: [number, number], halves = 1) => ({
    optimizer,
    lr,
    offset: [offset, 0] as [number, number],
    offsetSe: [0.002, 0.002] as [number, number],
    variance,
    halvesRatio: [halves, 1] as [number, number],
  });
  const base = (adamwOffset: number, adamShape: number, halves = 1) => ({
    lrs: [0.01, 0.1],
    sgdTheoryRatios: [1, 1.01],
    rows: [0.01, 0.1].flatMap((lr) => [
      row("SGD", lr, 0.001, [lr / 2, lr / 2], halves),
      row("Adam", lr, -0.001, [(adamShape * lr) / 2, lr / 2]),
      row("AdamW", lr, adamwOffset, [(adamShape * lr) / 2, lr / 2]),
    ]),
  });
  it("holds when shapes differ and AdamW's centre is off", () => {
    const j = judgeStationary(base(-0.09, 3.2));
    expect(j.verdict).toBe("holds");
    // SGD's and Adam's centres: offset 0.001, SE 0.002 at each of two lrs → z = 0.001·√2/0.002.
    expect(j.deciding?.value).toBeCloseTo(Math.SQRT1_2, 9);
    expect(j.deciding?.threshold).toMatch(/^≤ 4/);
  });
  it("holds only for the shape when every cloud is centred", () => {
    expect(judgeStationary(base(0, 3.2)).verdict).toBe(
      "holds only when it comes to the cloud's shape, not its centre",
    );
  });
  it("holds only for the centre when the shapes agree", () => {
    expect(judgeStationary(base(-0.09, 1)).verdict).toBe(
      "holds only when it comes to the cloud's centre, not its shape",
    );
  });
  it("does not hold when the clouds are not stationary", () => {
    const j = judgeStationary(base(-0.09, 3.2, 2));
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 2, threshold: "≤ 1.35 (a stationary cloud)" });
  });
});
