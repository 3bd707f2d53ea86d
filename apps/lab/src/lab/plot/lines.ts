/**
 * Line charts: one line per series (several optimizers, β values, seeds…), each with an optional
 * shaded band (e.g. the 10–90 % range over seeds), optional reference lines, log axes.
 */
import type { VegaLiteSpec } from "../experiment.ts";
import { type Axis, axisEncoding, base, finite, thinIndices } from "./common.ts";

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  lo?: ArrayLike<number>;
  hi?: ArrayLike<number>;
}

export interface LinesOptions {
  title?: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  /** Horizontal (y) or vertical (x) reference lines with a label. */
  rules?: readonly { x?: number; y?: number; label: string }[];
  /** Most points drawn per series (default 250: plenty for a 420-pixel-wide plot). */
  maxPoints?: number;
  /** Draw points instead of lines (for scatter-like data). */
  points?: boolean;
}

export function lines(o: LinesOptions): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  for (const s of o.series) {
    if (s.x.length !== s.y.length) throw new Error(`series ${s.name}: x and y differ in length`);
    for (const i of thinIndices(s.x.length, o.maxPoints ?? 250)) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      // Log axes cannot draw non-positive values: leave a gap rather than a broken scale.
      if ((o.x.log && !(x > 0)) || (o.y.log && !(y > 0))) continue;
      const row: Record<string, unknown> = { series: s.name, x: finite(x), y: finite(y) };
      if (s.lo && s.hi) {
        const lo = s.lo[i]!;
        const hi = s.hi[i]!;
        row.lo = o.y.log && !(lo > 0) ? finite(y) : finite(lo);
        row.hi = finite(hi);
      }
      rows.push(row);
    }
  }
  const color = { field: "series", type: "nominal", title: null, sort: o.series.map((s) => s.name) };
  const layers: Record<string, unknown>[] = [];
  if (o.series.some((s) => s.lo && s.hi)) {
    layers.push({
      transform: [{ filter: "datum.lo != null && datum.hi != null" }],
      mark: { type: "area", opacity: 0.18 },
      encoding: {
        x: axisEncoding("x", o.x),
        y: { ...axisEncoding("lo", o.y) },
        y2: { field: "hi" },
        color,
      },
    });
  }
  layers.push({
    mark: o.points ? { type: "point", filled: true, size: 30 } : { type: "line", strokeWidth: 1.6 },
    encoding: { x: axisEncoding("x", o.x), y: axisEncoding("y", o.y), color },
  });
  for (const r of o.rules ?? []) {
    const at = r.y !== undefined ? { y: { datum: r.y } } : { x: { datum: r.x } };
    // One datum of their own: without it a layer inherits the chart's rows and draws once per row.
    const one = { values: [{}] };
    layers.push({
      data: one,
      mark: { type: "rule", strokeDash: [4, 4], color: "#555" },
      encoding: at,
    });
    layers.push({
      data: one,
      mark: { type: "text", align: "left", dx: 4, dy: -6, fontSize: 10, color: "#555" },
      encoding: { ...at, text: { datum: r.label } },
    });
  }
  return base(o.title, { data: { values: rows }, layer: layers });
}
