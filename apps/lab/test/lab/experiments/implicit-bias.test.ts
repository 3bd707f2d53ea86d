import { describe, expect, it } from "vitest";
import { experiment, judgeBias } from "../../../src/lab/experiments/implicit-bias.ts";
import { smokeCheck } from "./smoke.ts";

describe("implicit-bias (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "implicit-bias");
  }, 20000);
});

describe("judgeBias", () => {
  const gd = { name: "GD", relDistance: [1e-14, 2e-14], normRatio: [1, 1], lossRatio: [1e-30, 1e-30] };
  it("holds when GD finds w⁺ and an interpolating Adam does not", () => {
    const a = { name: "Adam", relDistance: [0.4, 0.5], normRatio: [1.1, 1.2], lossRatio: [1e-20, 1e-20] };
    const j = judgeBias([gd, a]);
    expect(j.verdict).toBe("holds");
    expect(j.deciding).toMatchObject({ value: 0.4, threshold: "≥ 0.05 (GD ≤ 1e-6)" });
  });
  it("holds only when … if Adam has not interpolated", () => {
    const a = { name: "Adam", relDistance: [0.4, 0.5], normRatio: [1.1, 1.2], lossRatio: [1e-3, 1e-3] };
    expect(judgeBias([gd, a]).verdict).toMatch(/^holds only when/);
  });
  it("does not hold when Adam also lands on w⁺", () => {
    const a = { name: "Adam", relDistance: [1e-8, 1e-8], normRatio: [1, 1], lossRatio: [1e-20, 1e-20] };
    const j = judgeBias([gd, a]);
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding?.value).toBe(1e-8);
    // An unfitted Adam row does not count while a fitted one exists.
    const far = { ...a, name: "Adam (far)", relDistance: [0.9, 0.9], lossRatio: [1e-3, 1e-3] };
    expect(judgeBias([gd, a, far]).deciding?.value).toBe(1e-8);
  });
});
