import { describe, expect, it } from "vitest";
import { experiment, judgeAdagradDecay } from "../../../src/lab/experiments/adagrad-decay.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("adagrad-decay (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("adagrad-decay");
    expect(a.setup).toContain("smoke");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
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

describe("judgeAdagradDecay", () => {
  const fall = { adagrad: 0.4, rmsprop: 1 };
  it("holds when Adagrad decays, RMSprop is flat and Adagrad tracks worse and worse", () => {
    const m = {
      slope: { adagrad: -0.5, rmsprop: -0.05 },
      fall,
      recovery: { adagrad: [50, 100], rmsprop: [20, 25] },
    };
    expect(judgeAdagradDecay(m).verdict).toBe("holds");
  });
  it("holds only when … if the decay does not hurt tracking", () => {
    const m = {
      slope: { adagrad: -0.5, rmsprop: 0 },
      fall,
      recovery: { adagrad: [30, 30], rmsprop: [25, 25] },
    };
    expect(judgeAdagradDecay(m).verdict).toMatch(/^holds only when/);
  });
  it("does not hold when Adagrad's lr does not decay", () => {
    const m = {
      slope: { adagrad: -0.1, rmsprop: 0 },
      fall,
      recovery: { adagrad: [30, null], rmsprop: [25, 25] },
    };
    expect(judgeAdagradDecay(m).verdict).toBe("does not hold");
  });
});
