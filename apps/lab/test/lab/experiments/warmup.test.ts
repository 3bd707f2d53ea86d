import { describe, expect, it } from "vitest";
import { type ArmMeasurement, experiment, judgeWarmup } from "../../../src/lab/experiments/warmup.ts";
import { smokeCheck } from "./smoke.ts";

describe("warmup experiment (smoke)", () => {
  it("runs, reports finite metrics and figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "warmup", { mentions: ["smoke mode", "8-8-8-1", "20 steps"] });
    expect(a.metrics.leakedTensors).toBe(0);
    // 2 optimizers × 2 warmup settings × 1 lr at g = 3, plus Adam × 2 at g = 1.
    expect((a.metrics.grid as unknown[]).length).toBe(6);
    expect(a.figures.length).toBe(2);
  }, 30_000);
});

const arm = (
  optimizer: string,
  warmup: boolean,
  lr: number,
  unstable: boolean[],
  gain = 3,
): ArmMeasurement => ({
  optimizer,
  gain,
  warmup,
  lr,
  unstable,
});

describe("judgeWarmup", () => {
  const cold = (o: string) => [arm(o, false, 0.1, [false, true]), arm(o, false, 1, [true, true])];
  it("holds when warmup halves the unstable runs for both optimizers", () => {
    const w = (o: string) => [arm(o, true, 0.1, [false, false]), arm(o, true, 1, [true, false])];
    const j = judgeWarmup([
      ...cold("Adam"),
      ...w("Adam"),
      ...cold("AdamW"),
      ...w("AdamW"),
      arm("Adam", false, 1, [true], 1),
    ]);
    expect(j.verdict).toBe("holds");
    expect(j.reason).toContain("init scale 1");
    // 3 unstable → 1 for each optimizer: 2/3 removed at worst.
    expect(j.deciding?.value).toBeCloseTo(2 / 3, 12);
    expect(j.deciding?.threshold).toBe("≥ 0.5 for every optimizer");
  });
  it("holds only for the optimizer it helps", () => {
    const j = judgeWarmup([
      ...cold("Adam"),
      arm("Adam", true, 0.1, [false, false]),
      arm("Adam", true, 1, [false, false]),
      ...cold("AdamW"),
      arm("AdamW", true, 0.1, [false, true]),
      arm("AdamW", true, 1, [true, true]),
    ]);
    expect(j.verdict).toBe("holds only when the optimizer is Adam");
    // AdamW: 3 → 3, nothing removed.
    expect(j.deciding?.value).toBe(0);
  });
  it("does not hold when nothing was unstable to begin with", () => {
    const calm = (o: string, w: boolean) => arm(o, w, 0.1, [false, false]);
    const j = judgeWarmup([calm("Adam", false), calm("Adam", true)]);
    expect(j.verdict).toBe("does not hold");
    expect(j.reason).toContain("nothing for warmup to fix");
  });
});
