import { describe, expect, it } from "vitest";
import { experiment, judgeClipPrePost } from "../../../src/lab/experiments/clip-pre-vs-post.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("clip-pre-vs-post (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("clip-pre-vs-post");
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
    expect(judgeClipPrePost({ cells: cells(0.2, 150) }).verdict).toBe("holds");
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
