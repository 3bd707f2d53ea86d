/** Shared pieces of the Lab's Vega-Lite specs: axes, sizes, thinning of long series. */
import type { VegaLiteSpec } from "../experiment.ts";

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
export const WIDTH = 420;
export const HEIGHT = 260;

export interface Axis {
  label: string;
  log?: boolean;
  /** [min, max] of the scale; the data decide when omitted. */
  domain?: [number, number];
}

export function axisEncoding(field: string, axis: Axis): Record<string, unknown> {
  // A log scale has no zero to include; a linear one should not force it in either.
  const scale: Record<string, unknown> = axis.log ? { type: "log" } : { zero: false };
  if (axis.domain) {
    scale.domain = axis.domain;
    scale.clamp = true;
  }
  return { field, type: "quantitative", title: axis.label, scale };
}

/**
 * Indices to keep so a series of `n` points draws with at most `max` (always the first and last):
 * figures stay small and the report stays light; nothing is averaged away, points are only skipped.
 */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return [...new Set(out)];
}

/** A finite number for the figure, or null (drawn as a gap) — Vega chokes on NaN/Infinity. */
export function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function base(title: string | undefined, extra: VegaLiteSpec = {}): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    width: WIDTH,
    height: HEIGHT,
    ...extra,
  };
}
