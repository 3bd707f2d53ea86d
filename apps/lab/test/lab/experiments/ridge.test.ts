import { describe, expect, it } from "vitest";
import { experiment, judgeRidge } from "../../../src/lab/experiments/ridge.ts";
import { smokeCheck } from "./smoke.ts";

describe("ridge (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    // Costs are counted in flops, not timed: everything is identical run to run.
    await smokeCheck(experiment, "ridge");
  }, 20000);
});

describe("judgeRidge", () => {
  it("holds when every Adam run reaches 1e-6", () => {
    const j = judgeRidge({ finalDistance: { Adam: 1e-12, "Adam cosine": 1e-7, GD: 1e-9 } });
    expect(j.verdict).toBe("holds");
    // The worst Adam variant, not GD.
    expect(j.deciding).toMatchObject({
      value: 1e-7,
      threshold: "≤ 1e-6 for every variant (≤ 1e-3: three digits)",
    });
  });
  it("holds only for the variants that get there, named", () => {
    expect(judgeRidge({ finalDistance: { Adam: 1e-3, "Adam cosine": 1e-7 } }).verdict).toBe(
      "holds only when run as Adam cosine",
    );
    expect(judgeRidge({ finalDistance: { Adam: 1e-15, "Adam cosine": 5e-6 } }).verdict).toBe(
      "holds only when run as Adam",
    );
  });
  it("holds only when three digits are enough", () => {
    expect(judgeRidge({ finalDistance: { Adam: 1e-4, "Adam cosine": 5e-4 } }).verdict).toMatch(
      /three digits/,
    );
  });
  it("does not hold when Adam stays far", () => {
    expect(judgeRidge({ finalDistance: { Adam: 0.1, "Adam cosine": 0.05 }, crossoverD: null }).verdict).toBe(
      "does not hold",
    );
  });
});
