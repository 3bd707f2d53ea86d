import { describe, expect, it } from "vitest";
import {
  type CellMeasurement,
  experiment,
  judgeMlPotential,
  type RunOutcome,
  summarize,
} from "../../../src/lab/experiments/ml-potential.ts";
import { smokeCheck } from "./smoke.ts";

describe("ml-potential experiment (smoke)", () => {
  it("runs, reports finite metrics and figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "ml-potential", {
      mentions: ["smoke mode", "3-6-6-1", "20 steps"],
    });
    expect(a.metrics.leakedTensors).toBe(0);
    // each network used as a potential: trimers relaxed on it by L-BFGS, at each optimizer's best lr
    const relaxed = a.metrics.relaxedAtBestLr as { config: string; relaxations: number }[];
    expect(relaxed.map((r) => r.config)).toEqual(["Adam", "Adam + clip", "SGD", "SGD + clip"]);
    expect(relaxed.some((r) => r.relaxations > 0)).toBe(true);
    expect(a.tables?.[0]?.columns).toContain("Lennard-Jones energy (ε)");
    expect((a.metrics.summary as unknown[]).length).toBe(4);
    expect((a.metrics.grid as unknown[]).length).toBe(4);
    expect(Number.isFinite(a.metrics.forceScale)).toBe(true);
    expect(a.figures.length).toBe(3);
  }, 30_000);
});

const ok = (rmse: number): RunOutcome => ({ diverged: false, stalled: false, forceRmse: rmse });
const boom: RunOutcome = { diverged: true, stalled: false, forceRmse: Number.NaN };
const stuck: RunOutcome = { diverged: false, stalled: true, forceRmse: 100 };
const cell = (
  config: string,
  adaptive: boolean,
  clipped: boolean,
  lr: number,
  runs: RunOutcome[],
): CellMeasurement => ({
  config,
  adaptive,
  clipped,
  lr,
  runs,
});

describe("judgeMlPotential", () => {
  const good = (name: string, a: boolean, c: boolean) => [
    cell(name, a, c, 1e-3, [ok(60), ok(70)]),
    cell(name, a, c, 1e-2, [ok(10), ok(12)]),
  ];
  it("summarize picks the lr with fewest failures, then the lowest error", () => {
    const s = summarize([
      cell("X", true, true, 1e-3, [ok(5), boom]),
      cell("X", true, true, 1e-2, [ok(9), ok(8)]),
    ]);
    expect(s[0]!.bestLr).toBe(1e-2);
    expect(s[0]!.medianForceRmse).toBe(8.5);
  });
  const bad = (name: string, a: boolean, c: boolean) => [
    cell(name, a, c, 1e-3, [stuck, stuck]),
    cell(name, a, c, 1e-2, [boom, boom]),
  ];
  it("holds when Adam + clip trains and removing either ingredient fails (the ablation)", () => {
    const cells = [
      ...good("Adam + clip", true, true),
      ...bad("Adam", true, false),
      ...bad("SGD + clip", false, true),
      ...bad("SGD", false, false),
    ];
    const j = judgeMlPotential(cells, 100);
    expect(j.verdict).toBe("holds");
    expect(j.deciding?.value).toBe(4); // the ablations stall at RMSE 100, 4× the target 25
  });
  it("does not hold when one removal still trains, and names the ingredient that alone was needed", () => {
    const toAdam = [
      ...good("Adam + clip", true, true),
      ...good("Adam", true, false),
      ...bad("SGD + clip", false, true),
      ...bad("SGD", false, false),
    ];
    const a = judgeMlPotential(toAdam, 100);
    expect(a.verdict).toBe("does not hold");
    expect(a.reason).toContain("clipping is not needed");
    const toClip = [
      ...good("Adam + clip", true, true),
      ...bad("Adam", true, false),
      ...good("SGD + clip", false, true),
      ...bad("SGD", false, false),
    ];
    const j = judgeMlPotential(toClip, 100);
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toContain("Adam's adaptive step is not needed");
    expect(j.deciding?.value).toBeCloseTo(0.44); // SGD + clip: median 11 against the target 25
  });
  it("does not hold when each ingredient alone suffices against a real hazard", () => {
    const cells = [
      ...good("Adam + clip", true, true),
      ...good("Adam", true, false),
      ...good("SGD + clip", false, true),
      ...bad("SGD", false, false),
    ];
    const j = judgeMlPotential(cells, 100);
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toContain("each ingredient alone suffices");
  });
  it("is inconclusive when even plain SGD trains: the wall was no hazard", () => {
    const cells = [
      ...good("Adam + clip", true, true),
      ...good("Adam", true, false),
      ...good("SGD + clip", false, true),
      ...good("SGD", false, false),
    ];
    const j = judgeMlPotential(cells, 100);
    expect(j.verdict).toBe("inconclusive");
    expect(j.reason).toContain("no hazard");
  });
  it("does not hold when Adam + clip diverges or does not learn", () => {
    const cells = [
      cell("Adam + clip", true, true, 1e-2, [boom, ok(10)]),
      cell("Adam + clip", true, true, 1e-3, [ok(80), ok(90)]),
      ...good("Adam", true, false),
      ...good("SGD + clip", false, true),
      ...good("SGD", false, false),
    ];
    expect(judgeMlPotential(cells, 100).verdict).toBe("does not hold");
  });
});
