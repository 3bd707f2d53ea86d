import { describe, expect, it } from "vitest";
import { experiment, judgeClipPrePost } from "../../../src/lab/experiments/clip-pre-vs-post.ts";
import { smokeCheck } from "./smoke.ts";

describe("clip-pre-vs-post (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "clip-pre-vs-post");
  }, 20000);
});

describe("judgeClipPrePost", () => {
  const r = (contamination: number, vInflation: number, jump: number) => ({
    jump,
    excess: 0,
    vInflation,
    contamination,
    updateJump: 1,
  });
  const cells = (beforeScale: number, afterV: number) => [
    { placement: "none" as const, k: 1, scale: 1, response: r(40, 100, 2) },
    { placement: "clip before" as const, k: 1, scale: beforeScale, response: r(1.1, 1, 0.02) },
    { placement: "clip after" as const, k: 1, scale: 1.01, response: r(300, afterV, 0.01) },
  ];
  it("holds when all four parts are measured", () => {
    const j = judgeClipPrePost({ cells: cells(0.2, 150) });
    expect(j.verdict).toBe("holds");
    expect(j.deciding).toMatchObject({ value: 1.1, threshold: expect.stringMatching(/^≤ 2/) });
  });
  it("holds only when … if some parts fail", () => {
    expect(judgeClipPrePost({ cells: cells(0.99, 150) }).verdict).toMatch(/^holds only when/);
  });
  it("does not hold when every part fails", () => {
    const c = [
      { placement: "none" as const, k: 1, scale: 1, response: r(1, 1, 2) },
      { placement: "clip before" as const, k: 1, scale: 1, response: r(10, 1, 0.02) },
      { placement: "clip after" as const, k: 1, scale: 0.5, response: r(1, 1, 0.01) },
    ];
    expect(judgeClipPrePost({ cells: c }).verdict).toBe("does not hold");
  });
});
