import { describe, expect, it } from "vitest";
import { experiment, judgeSilent } from "../../../src/lab/experiments/silent-params.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("silent-params (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("silent-params");
    expect(a.setup).toContain("smoke");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
    expect(a.seeds.length).toBeGreaterThan(0);
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
  }, 20000);
});

describe("judgeSilent", () => {
  const base = {
    steps: 3000,
    lr: 0.01,
    lambda: 0.05,
    adamwFinal: 0.22,
    adamwStepsToTarget: null,
    adamwFactor: 0.9995,
    adamwExpectedFactor: 0.9995,
  };
  it("does not hold when Adam + L2 drives the silent weight to zero", () => {
    expect(judgeSilent({ ...base, adamL2Final: 1e-20, adamL2StepsToTarget: 200 }).verdict).toBe(
      "does not hold",
    );
  });
  it("holds when Adam + L2 leaves it and AdamW shrinks it by 1 − lr·λ", () => {
    expect(judgeSilent({ ...base, adamL2Final: 1, adamL2StepsToTarget: null }).verdict).toBe("holds");
  });
  it("does not hold when AdamW's factor is off", () => {
    const m = { ...base, adamwFactor: 0.999, adamL2Final: 1, adamL2StepsToTarget: null };
    expect(judgeSilent(m).verdict).toBe("does not hold");
  });
});
