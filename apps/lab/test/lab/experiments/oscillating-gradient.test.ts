import { describe, expect, it } from "vitest";
import {
  experiment,
  judgeOscillation,
  type OscillationRow,
} from "../../../src/lab/experiments/oscillating-gradient.ts";
import { smokeCheck } from "./smoke.ts";

const row = (beta1: number, stepRatio: number, vHat = 1): OscillationRow => ({
  beta1,
  stepRatio,
  predicted: (1 - beta1) / (1 + beta1),
  mHat: stepRatio,
  vHat,
});

describe("oscillating-gradient", () => {
  it("smoke run: the measured ratios follow the closed form and the figures carry data", async () => {
    const r = await smokeCheck(experiment, "oscillating-gradient", { mentions: ["300 steps"] });
    const rows = r.metrics.rows as {
      beta1: number;
      stepRatio: number;
      predicted: number;
      vHatOverA2: number;
    }[];
    expect(rows.map((x) => x.beta1)).toEqual([0.5, 0.9, 0.99]);
    // 300 steps is past the transient for β1 ≤ 0.9: the steady state is already there.
    for (const x of rows.slice(0, 2)) expect(x.stepRatio / x.predicted).toBeCloseTo(1, 1);
    expect(r.figures).toHaveLength(2);
  });

  it("judge: each branch", () => {
    const only = judgeOscillation([row(0.5, 1 / 3), row(0.9, 0.0526), row(0.99, 0.005)]);
    expect(only.verdict).toBe("holds only when β1 is large (β1 ≥ 0.9)");
    expect(only.deciding?.value).toBeCloseTo(1 / 3);
    const holds = judgeOscillation([row(0.9, 0.0526), row(0.99, 0.005)]);
    expect(holds.verdict).toBe("holds");
    expect(holds.deciding).toMatchObject({ label: only.deciding?.label, value: 0.0526 });
    // 0.2 against the law's 0.1/1.9: the law check decides, 2.8 off.
    expect(judgeOscillation([row(0.9, 0.2)]).deciding).toMatchObject({ threshold: "≤ 0.1" });
    expect(judgeOscillation([row(0.9, 0.2)]).deciding?.value).toBeCloseTo(2.8);
    const unbraked = judgeOscillation([{ ...row(0.9, 0.25), predicted: 0.25 }]);
    expect(unbraked.verdict).toBe("does not hold");
    expect(unbraked.deciding).toMatchObject({ value: 0.25, threshold: "< 0.2" });
    expect(judgeOscillation([row(0.9, 0.0526, 0.5)]).verdict).toBe("does not hold");
    expect(judgeOscillation([row(0.9, 0.2)]).verdict).toBe("does not hold");
    expect(() => judgeOscillation([row(0.5, 1 / 3)])).toThrow(/β1 = 0.9/);
  });
});
