import { describe, expect, it } from "vitest";
import { experiment, judgeFlatMinima } from "../../../src/lab/experiments/flat-minima.ts";
import { smokeCheck } from "./smoke.ts";

describe("flat-minima (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "flat-minima", { mentions: ["24 starts"] });
    expect(a.metrics.arms).toHaveLength(2 * 4);
  }, 20000);
});

describe("judgeFlatMinima", () => {
  const n = 200;
  // `moved` of the 40 sharp-basin starts end wide instead.
  const wide = (moved: number) => Array.from({ length: n }, (_, i) => (i < 40 ? (i < moved ? 1 : 0) : 1));
  const arms = (variant: "fixed" | "matched", moved: number) =>
    [0, 0.9, 0.99].map((beta) => ({
      variant,
      lr: 0.01,
      beta,
      wide: wide(beta === 0.99 ? moved : 0),
      sharp: 40 - (beta === 0.99 ? moved : 0),
      neither: 0,
    }));
  it("holds when high momentum moves starts to the wide basin at fixed and matched lr", () => {
    expect(judgeFlatMinima({ arms: [...arms("fixed", 20), ...arms("matched", 15)] }).verdict).toBe("holds");
  });
  it("holds only at fixed lr when matched runs do not move", () => {
    expect(judgeFlatMinima({ arms: [...arms("fixed", 20), ...arms("matched", 0)] }).verdict).toMatch(
      /^holds only when momentum also lengthens the step/,
    );
  });
  it("does not hold when nothing moves (or too little)", () => {
    expect(judgeFlatMinima({ arms: [...arms("fixed", 1), ...arms("matched", 0)] }).verdict).toBe(
      "does not hold",
    );
  });
});
