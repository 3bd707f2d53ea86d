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
  it("holds when Adam + clip is stable and accurate, naming the hazard", () => {
    const cells = [
      ...good("Adam + clip", true, true),
      ...good("Adam", true, false),
      ...good("SGD + clip", false, true),
      cell("SGD", false, false, 1e-3, [stuck, stuck]),
      cell("SGD", false, false, 1e-2, [boom, boom]),
    ];
    const j = judgeMlPotential(cells, 100);
    expect(j.verdict).toBe("holds");
    expect(j.reason).toContain("real hazard");
  });
  it("holds but says the wall was no hazard when plain SGD also trains", () => {
    const cells = [
      ...good("Adam + clip", true, true),
      ...good("Adam", true, false),
      ...good("SGD + clip", false, true),
      ...good("SGD", false, false),
    ];
    expect(judgeMlPotential(cells, 100).reason).toContain("no real hazard");
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
