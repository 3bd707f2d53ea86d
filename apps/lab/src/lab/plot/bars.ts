/**
 * Bar charts with optional error bars (e.g. a bootstrap interval over seeds), grouped by a second
 * category when given: the Lab's "which setting wins, and by how much" figure.
 */
import type { VegaLiteSpec } from "../experiment.ts";
import { type Axis, base, finite } from "./common.ts";

export interface Bar {
  category: string;
  /** The colour group (e.g. the optimizer); one colour when omitted. */
  group?: string;
  value: number;
  lo?: number;
  hi?: number;
}

export interface BarsOptions {
  title?: string;
  categoryLabel: string;
  y: Axis;
  bars: readonly Bar[];
}

export function bars(o: BarsOptions): VegaLiteSpec {
  const rows = o.bars.map((b) => ({
    category: b.category,
    group: b.group ?? "",
    value: finite(b.value),
    lo: b.lo === undefined ? null : finite(b.lo),
    hi: b.hi === undefined ? null : finite(b.hi),
  }));
  const categories = [...new Set(o.bars.map((b) => b.category))];
  const grouped = o.bars.some((b) => b.group);
  const scale: Record<string, unknown> = o.y.log ? { type: "log" } : {};
  if (o.y.domain) scale.domain = o.y.domain;
  const x = { field: "category", type: "nominal", title: o.categoryLabel, sort: categories };
  const offset = grouped ? { xOffset: { field: "group", type: "nominal" } } : {};
  const color = grouped ? { color: { field: "group", type: "nominal", title: null } } : {};
  return base(o.title, {
    data: { values: rows },
    layer: [
      {
        mark: "bar",
        encoding: {
          x,
          y: { field: "value", type: "quantitative", title: o.y.label, scale },
          ...offset,
          ...color,
        },
      },
      {
        transform: [{ filter: "datum.lo != null && datum.hi != null" }],
        mark: { type: "rule", color: "#222" },
        encoding: { x, y: { field: "lo", type: "quantitative", scale }, y2: { field: "hi" }, ...offset },
      },
    ],
  });
}
