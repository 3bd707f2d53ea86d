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

/** Vega schemes that run from dark (low values) to light (high values). */
const DARK_TO_LIGHT = new Set(["viridis", "magma", "inferno", "plasma", "cividis"]);

export function heatmap(o: HeatmapOptions): VegaLiteSpec {
  if (o.z.length !== o.y.values.length || o.z.some((row) => row.length !== o.x.values.length)) {
    throw new Error("heatmap: z must have one row per y value and one column per x value");
  }
  const label = (v: number | string) => (typeof v === "number" ? String(Number(v.toPrecision(3))) : v);
  const xs = o.x.values.map(label);
  const ys = o.y.values.map(label);
  const scheme = o.scheme ?? "viridis";
  const values = o.z.flat().filter((z): z is number => z !== null && Number.isFinite(z));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // The label's ink follows the cell's lightness, so every value stays legible: these schemes run
  // dark → light with the value, Vega's single-hue ones light → dark.
  const lightAtTop = DARK_TO_LIGHT.has(scheme) !== (o.reverse ?? false);
  const ink = (z: number | null) => {
    if (z === null || !Number.isFinite(z) || !(hi > lo)) return "light";
    const t = (z - lo) / (hi - lo);
    return (lightAtTop ? t : 1 - t) > 0.55 ? "dark" : "light";
  };
  const rows = o.z.flatMap((row, iy) =>
    row.map((z, ix) => ({ x: xs[ix], y: ys[iy], z: z === null ? null : finite(z), ink: ink(z) })),
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
            scale: { scheme, reverse: o.reverse ?? false },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 9 },
        encoding: {
          text: { field: "z", type: "quantitative", format: o.format ?? ".3g" },
          color: {
            field: "ink",
            type: "nominal",
            scale: { domain: ["dark", "light"], range: ["#111", "#fff"] },
            legend: null,
          },
        },
      },
    ],
  });
}
