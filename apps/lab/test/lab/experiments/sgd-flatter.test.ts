import { describe, expect, it } from "vitest";
import { experiment, judgeFlatness } from "../../../src/lab/experiments/sgd-flatter.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("sgd-flatter (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "sgd-flatter", [
      "200 MNIST training digits",
      "3 Rademacher probes",
      "784 → 8",
    ]);
    const sgd = r.metrics.SGD as { trace: number[] };
    expect(sgd.trace).toHaveLength(1);
    expect(sgd.trace[0]).toBeGreaterThan(0);
    // The reference: SAM on SGD's grid, measured the same way.
    const sam = r.metrics.SAM as { lrGrid: number[]; trace: number[]; bestLr: number[] };
    expect(sam.lrGrid).toEqual([0.0316, 0.1]);
    expect(Number.isFinite(sam.trace[0])).toBe(true); // 3 probes: the smoke run's estimate may be < 0
    expect(r.keyNumber).toMatch(/reference SAM\/SGD /);
  }, 30000);
});

describe("judgeFlatness", () => {
  it("holds when SGD's trace is ≥ 20 % lower in every seed", () => {
    expect(judgeFlatness({ sgdTrace: [5, 6, 7], adamwTrace: [10, 9, 10], reached: true }).verdict).toBe(
      "holds",
    );
  });
  it("is inconclusive when one seed disagrees or the gap is under 20 % either way", () => {
    expect(judgeFlatness({ sgdTrace: [5, 12], adamwTrace: [10, 10], reached: true }).verdict).toBe(
      "inconclusive",
    );
    const j = judgeFlatness({ sgdTrace: [9, 11], adamwTrace: [10, 10], reached: true });
    expect(j.verdict).toBe("inconclusive");
    expect(j.deciding?.value).toBeCloseTo(Math.sqrt(0.99));
  });
  it("reports SAM, the reference, without letting it decide", () => {
    const base = { sgdTrace: [5, 6, 7], adamwTrace: [10, 9, 10], reached: true };
    const j = judgeFlatness({ ...base, samTrace: [2.5, 3, 3.5] });
    expect(j.verdict).toBe(judgeFlatness(base).verdict);
    expect(j.deciding).toEqual(judgeFlatness(base).deciding);
    expect(j.reason).toContain("flattest converged tr(H) SAM/SGD = 0.5");
  });
  it("does not hold, and says so, when AdamW is flatter", () => {
    const j = judgeFlatness({ sgdTrace: [15, 16], adamwTrace: [10, 10], reached: true });
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toContain("AdamW's minimum is the flatter one");
  });
  it("is inconclusive when a Hutchinson estimate is not positive (probe noise above the trace)", () => {
    const j = judgeFlatness({ sgdTrace: [15], adamwTrace: [-33], reached: false });
    expect(j.verdict).toBe("inconclusive");
    expect(j.deciding).toBeUndefined();
  });
  it("reports the matched-loss ratio beside the converged one", () => {
    const j = judgeFlatness({
      sgdTrace: [5],
      adamwTrace: [10],
      matched: { sgd: [8], adamw: [10] },
      reached: true,
    });
    expect(j.verdict).toBe("holds");
    expect(j.reason).toContain("at matched training loss tr(H) SGD/AdamW = 0.8");
  });
  it("flags runs that missed the target loss", () => {
    expect(judgeFlatness({ sgdTrace: [5], adamwTrace: [10], reached: false }).reason).toContain(
      "not every run",
    );
  });
});
