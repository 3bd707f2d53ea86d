/**
 * Marks on a `heatmap` spec (src/lab/plot): a ★ on the best cell and an outline around a region of
 * cells (e.g. those within noise of the best), added as extra layers with their own data.
 */
import type { VegaLiteSpec } from "../experiment.ts";

/** The label the heatmap gives a grid value (it rounds numbers to 3 significant digits). */
function label(v: number | string): string {
  return typeof v === "number" ? String(Number(v.toPrecision(3))) : v;
}

export interface Cell {
  x: number | string;
  y: number | string;
}

export function markCells(spec: VegaLiteSpec, o: { best?: Cell; region?: readonly Cell[] }): VegaLiteSpec {
  const layers = [...((spec.layer as unknown[]) ?? [])];
  const at = { x: { field: "x", type: "ordinal" }, y: { field: "y", type: "ordinal" } };
  if (o.region && o.region.length > 0) {
    layers.push({
      data: { values: o.region.map((c) => ({ x: label(c.x), y: label(c.y) })) },
      mark: { type: "rect", filled: false, stroke: "#e4572e", strokeWidth: 2.5 },
      encoding: at,
    });
  }
  if (o.best) {
    layers.push({
      data: { values: [{ x: label(o.best.x), y: label(o.best.y), star: "★" }] },
      // Dark with a light halo: legible on every colour of the scheme (the best cell is often yellow).
      mark: { type: "text", fontSize: 14, dy: -11, color: "#111", stroke: "#fff", strokeWidth: 0.8 },
      encoding: { ...at, text: { field: "star" } },
    });
  }
  return { ...spec, layer: layers };
}
