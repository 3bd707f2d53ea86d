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
    expect(judgeRidge({ finalDistance: { Adam: 1e-12, "Adam cosine": 1e-7, GD: 1e-9 } }).verdict).toBe(
      "holds",
    );
  });
  it("holds only when the lr is decayed if only the cosine run gets there", () => {
    expect(judgeRidge({ finalDistance: { Adam: 1e-3, "Adam cosine": 1e-7 } }).verdict).toMatch(
      /^holds only when the lr/,
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
