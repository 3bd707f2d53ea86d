/**
 * Heatmaps over a grid of two settings (e.g. lr × weight decay), each cell labelled with its value —
 * where the good region of a hyperparameter grid is and how it is shaped.
 */
import type { VegaLiteSpec } from "../experiment.ts";
import { base, finite } from "./common.ts";

export interface HeatmapOptions {
  title?: string;
  x: { label: string; values: readonly (number | string)[] };
  y: { label: string; values: readonly (number | string)[] };
  /** z[iy][ix]; null draws an empty cell (e.g. a diverged run). */
  z: readonly (readonly (number | null)[])[];
  zLabel: string;
  /** d3-format of the cell labels (default ".3g"). */
  format?: string;
  /** A Vega color scheme (default "viridis"); `reverse` flips it. */
  scheme?: string;
  reverse?: boolean;
}

export function heatmap(o: HeatmapOptions): VegaLiteSpec {
  if (o.z.length !== o.y.values.length || o.z.some((row) => row.length !== o.x.values.length)) {
    throw new Error("heatmap: z must have one row per y value and one column per x value");
  }
  const label = (v: number | string) => (typeof v === "number" ? String(Number(v.toPrecision(3))) : v);
  const xs = o.x.values.map(label);
  const ys = o.y.values.map(label);
  const rows = o.z.flatMap((row, iy) =>
    row.map((z, ix) => ({ x: xs[ix], y: ys[iy], z: z === null ? null : finite(z) })),
  );
  const cell = Math.max(22, Math.min(60, Math.floor(420 / xs.length)));
  return base(o.title, {
    width: cell * xs.length,
    height: Math.max(22, Math.min(48, Math.floor(300 / ys.length))) * ys.length,
    data: { values: rows },
    encoding: {
      x: { field: "x", type: "ordinal", title: o.x.label, sort: xs },
      y: { field: "y", type: "ordinal", title: o.y.label, sort: [...ys].reverse() },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: {
            field: "z",
            type: "quantitative",
            title: o.zLabel,
            scale: { scheme: o.scheme ?? "viridis", reverse: o.reverse ?? false },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 9 },
        encoding: {
          text: { field: "z", type: "quantitative", format: o.format ?? ".3g" },
          color: { value: "#fff" },
        },
      },
    ],
  });
}
