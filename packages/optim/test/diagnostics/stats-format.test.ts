import { formatNumber, formatStats, type OptimizerStats, toJsonl } from "momenta-optim";
import { describe, expect, it } from "vitest";

const stats: OptimizerStats = {
  step: 200,
  gradNorm: 1.41394,
  updateNorm: 0.0028391,
  paramNorm: 3.05,
  updateToParam: 0.000930852,
  nonFinite: { grads: 3, updates: 0, params: 0 },
  clip: {
    maxNorm: 1,
    totalNorm: 1.41394,
    scale: 0.70689,
    clipped: true,
    clippedSteps: 70,
    clippedFraction: 0.35,
  },
  effectiveLr: {
    min: 2.96e-4,
    p10: 3.02e-4,
    p50: 3.114e-4,
    p90: 3.2e-4,
    max: 3.52e-4,
    coordinates: 100,
    sampled: null,
  },
  decay: { weightDecay: 0.01, pullNorm: 3.05e-5, stepNorm: 0.00144, ratio: 0.0211806 },
  hyperparams: { lr: 0.001, weightDecay: 0.01, "betas[0]": 0.9 },
  vScar: {
    count: 1,
    factor: 10,
    recoverFactor: 2,
    window: 100,
    scars: [{ path: "b.weight", index: 7, vHat: 94.2, typical: 1, ratio: 94.2, recoverySteps: 458 }],
  },
  leaves: null,
  unavailable: { leaves: "perLeaf: false" },
};

describe("formatStats / toJsonl", () => {
  it("one compact line, fields in the documented order", () => {
    expect(formatStats(stats)).toBe(
      "step 200  ‖g‖ 1.41  ‖u‖ 0.00284  u/p 9.31e-4  clip ×0.707 (35% of steps)  " +
        "lrEff 2.96e-4…[3.02e-4 3.11e-4 3.2e-4]…3.52e-4  decay/step 0.0212  nonfinite g 3 u 0  " +
        "v-scars 1 (b.weight[7] ×94.2, recovers in ~458 steps)  lr 0.001  wd 0.01",
    );
    const bare: OptimizerStats = {
      ...stats,
      updateToParam: null,
      nonFinite: { grads: 0, updates: 0, params: null },
      clip: { ...stats.clip!, clipped: false, scale: 1, clippedFraction: 0.125 },
      effectiveLr: { ...stats.effectiveLr!, sampled: 8192 },
      decay: null,
      hyperparams: null,
      vScar: { ...stats.vScar!, count: 0, scars: [] },
    };
    expect(formatStats(bare)).toBe(
      "step 200  ‖g‖ 1.41  ‖u‖ 0.00284  clip – (13% of steps)  lrEff 2.96e-4…≈[3.02e-4 3.11e-4 3.2e-4]…3.52e-4  v-scars 0",
    );
    expect(
      formatStats({
        ...stats,
        vScar: { ...stats.vScar!, scars: [{ ...stats.vScar!.scars[0]!, recoverySteps: null }] },
      }),
    ).toMatch(/v-scars 1 \(b\.weight\[7\] ×94\.2, does not recover\)/);
  });

  it("numbers: 3 significant digits, exponents outside [1e-3, 1e4)", () => {
    expect([0, 1, 123.456, 0.001, 0.00099949, 12345, -0.5, Number.NaN].map(formatNumber)).toEqual([
      "0",
      "1",
      "123",
      "0.001",
      "9.99e-4",
      "1.23e+4",
      "-0.5",
      "NaN",
    ]);
  });

  it("JSON Lines: one object per line, non-finite numbers as strings", () => {
    const odd = { ...stats, gradNorm: Number.POSITIVE_INFINITY, updateNorm: Number.NaN };
    const text = toJsonl([stats, odd]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(JSON.parse(lines[0]!)).toEqual(stats);
    const back = JSON.parse(lines[1]!);
    expect([back.gradNorm, back.updateNorm]).toEqual(["Infinity", "NaN"]);
    expect(toJsonl(stats)).toBe(`${lines[0]}\n`);
  });
});
