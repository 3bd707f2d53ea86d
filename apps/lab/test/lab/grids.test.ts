import { readFileSync } from "node:fs";
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
  it("in the committed quick results no optimizer's best lr sits on its grid's edge", () => {
    const results = JSON.parse(
      readFileSync(new URL("../../docs/lab/results.json", import.meta.url), "utf8"),
    ) as LabResults;
    // One known exception, reported in the Lab's README and issue #16: RMSprop on the axis-aligned
    // ravines is fastest at the top of its 35-value lr grid (2⁻¹² … 32). Its sign-like steps make
    // huge lrs land near the minimum by chance (lr 128 arrived in 4 steps from one start, 256 and up
    // diverged): widening only finds such flukes. RMSprop is a contrast arm there, not the claim's.
    const known = (id: string, optimizer: string) =>
      id === "ravine" && optimizer.startsWith("Ravine") && optimizer.endsWith(" 0°: RMSprop");
    const edges = Object.entries(results.claims).flatMap(([id, c]) =>
      (c.grids ?? [])
        .filter((g) => onEdge(g) && !known(id, g.optimizer))
        .map((g) => `${id}: ${g.optimizer} at ${g.best} of ${g.values.join(", ")}`),
    );
    const exceptions = (results.claims.ravine?.grids ?? []).filter((g) => onEdge(g));
    expect(exceptions.length).toBeLessThanOrEqual(3); // the three aligned ravines, no more
    expect(edges).toEqual([]);
  });
});
