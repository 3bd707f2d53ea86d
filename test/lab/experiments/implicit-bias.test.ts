import { describe, expect, it } from "vitest";
import { experiment, judgeBias } from "../../../src/lab/experiments/implicit-bias.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("implicit-bias (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("implicit-bias");
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

describe("judgeBias", () => {
  const gd = { name: "GD", relDistance: [1e-14, 2e-14], normRatio: [1, 1], lossRatio: [1e-30, 1e-30] };
  it("holds when GD finds w⁺ and an interpolating Adam does not", () => {
    const a = { name: "Adam", relDistance: [0.4, 0.5], normRatio: [1.1, 1.2], lossRatio: [1e-20, 1e-20] };
    expect(judgeBias([gd, a]).verdict).toBe("holds");
  });
  it("holds only when … if Adam has not interpolated", () => {
    const a = { name: "Adam", relDistance: [0.4, 0.5], normRatio: [1.1, 1.2], lossRatio: [1e-3, 1e-3] };
    expect(judgeBias([gd, a]).verdict).toMatch(/^holds only when/);
  });
  it("does not hold when Adam also lands on w⁺", () => {
    const a = { name: "Adam", relDistance: [1e-8, 1e-8], normRatio: [1, 1], lossRatio: [1e-20, 1e-20] };
    expect(judgeBias([gd, a]).verdict).toBe("does not hold");
  });
});
