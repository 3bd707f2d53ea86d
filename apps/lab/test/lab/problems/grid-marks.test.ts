import { describe, expect, it } from "vitest";
import { heatmap } from "../../../src/lab/plot/index.ts";
import { markCells } from "../../../src/lab/problems/grid-marks.ts";

describe("markCells", () => {
  it("adds a star and an outline on the heatmap's own cell labels", () => {
    const spec = heatmap({
      x: { label: "lr", values: [1e-3, 3.16227766e-3] },
      y: { label: "wd", values: [0.1] },
      z: [[0.5, 0.7]],
      zLabel: "acc",
    });
    const marked = markCells(spec, { best: { x: 3.16227766e-3, y: 0.1 }, region: [{ x: 1e-3, y: 0.1 }] });
    const layers = marked.layer as { data?: { values: Record<string, unknown>[] } }[];
    expect(layers).toHaveLength((spec.layer as unknown[]).length + 2);
    expect(layers.at(-1)!.data!.values[0]).toEqual({ x: "0.00316", y: "0.1", star: "★" });
    expect(layers.at(-2)!.data!.values[0]).toEqual({ x: "0.001", y: "0.1" });
  });
});
