import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gridOf, onEdge } from "../../src/lab/experiment.ts";
import type { LabResults } from "../../src/lab/report/results.ts";

describe("tuning grids", () => {
  const scored = (scores: number[]) => scores.map((score, i) => ({ value: 10 ** i, score }));
  it("a best on the smallest or largest value is on the edge; inside it is not", () => {
    expect(onEdge(gridOf("A", "lr", scored([1, 2, 3]), 100))).toBe(true);
    expect(onEdge(gridOf("A", "lr", scored([3, 2, 1]), 1))).toBe(true);
    expect(onEdge(gridOf("A", "lr", scored([1, 3, 2]), 10))).toBe(false);
  });
  it("a plateau reaching inside the grid is not cut off by its edge", () => {
    const g = gridOf("A", "lr", scored([3, 3, 1]), 1);
    expect(g.tied).toEqual([1, 10]);
    expect(onEdge(g)).toBe(false);
  });
  it("within the test's resolution (tolerance) an interior value ties the best", () => {
    expect(onEdge(gridOf("A", "lr", scored([0.88, 0.904, 0.905]), 100))).toBe(true);
    const g = gridOf("A", "lr", scored([0.88, 0.904, 0.905]), 100, 0.01);
    expect(g.tied).toEqual([10, 100]);
    expect(onEdge(g)).toBe(false);
  });
  it("a grid where every value failed has no best to place", () => {
    const g = gridOf("A", "lr", scored([-Infinity, -Infinity]), 1);
    expect(g.allFailed).toBe(true);
    expect(onEdge(g)).toBe(false);
    expect(onEdge(gridOf("A", "lr", scored([1]), 1))).toBe(false);
  });
  it("in every committed result (quick at each base seed, and --full) no best sits on its grid's edge", () => {
    const dir = new URL("../../docs/lab/", import.meta.url);
    const files = readdirSync(dir).filter((f) => /^results(-full|-seed\d+)?\.json$/.test(f));
    expect(files).toContain("results.json");
    expect(files).toContain("results-full.json");
    for (const file of files) {
      const results = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as LabResults;
      const edges = Object.entries(results.claims).flatMap(([id, c]) =>
        (c.grids ?? [])
          .filter(onEdge)
          .map((g) => `${id}: ${g.optimizer} at ${g.best} of ${g.values.join(", ")}`),
      );
      expect(edges, file).toEqual([]);
    }
  });
});
