/**
 * Trajectories over a loss landscape: the landscape as a shaded raster (an embedded PNG) of
 * log10(f − f_min + δ) — δ keeps the minimum finite and sets how much of the floor's detail shows;
 * darker is lower — each optimizer's path as a line in step order, starts and known minima as marks.
 */

import type { Landscape } from "@momenta/landscapes";
import type { VegaLiteSpec } from "../experiment.ts";
import { base, finite, thinIndices } from "./common.ts";
import { encodePng } from "./png.ts";

export interface Path {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface LandscapeMapOptions {
  title?: string;
  landscape: Pick<Landscape, "value" | "bounds" | "minima">;
  paths: readonly Path[];
  /** Pixels per side of the raster (default 160). */
  resolution?: number;
  /** [xmin, xmax, ymin, ymax]; the landscape's own bounds by default. */
  bounds?: readonly [number, number, number, number];
  /** δ of the shading (default: 1e-3 of the value range). */
  floor?: number;
  /** Most points drawn per path (default 300). */
  maxPoints?: number;
}

// Light (high loss) to dark (low loss): paths in saturated colours stay readable on top.
const RAMP: [number, number, number][] = [
  [18, 32, 74],
  [44, 100, 142],
  [96, 168, 170],
  [190, 222, 190],
  [250, 248, 230],
];

function shade(t: number): [number, number, number] {
  const u = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const k = Math.min(Math.floor(u), RAMP.length - 2);
  const f = u - k;
  const a = RAMP[k]!;
  const b = RAMP[k + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

/** The landscape's log-loss raster as a PNG data URL, row 0 at the top (y = ymax). */
function raster(o: LandscapeMapOptions, bounds: readonly [number, number, number, number]): string {
  const [x0, x1, y0, y1] = bounds;
  const n = o.resolution ?? 160;
  const values = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < n; i++) {
      values[r * n + i] = o.landscape.value(
        x0 + ((i + 0.5) * (x1 - x0)) / n,
        y1 - ((r + 0.5) * (y1 - y0)) / n,
      );
    }
  }
  const seen = values.filter(Number.isFinite);
  const fmin = Math.min(...seen, ...o.landscape.minima.map((m) => m.value));
  const fmax = Math.max(...seen);
  const floor = o.floor ?? Math.max(1e-12, 1e-3 * (fmax - fmin));
  const lo = Math.log10(floor);
  const hi = Math.log10(fmax - fmin + floor);
  const rgb = new Uint8Array(n * n * 3);
  values.forEach((v, k) => {
    const level = Number.isFinite(v) ? Math.log10(Math.max(v - fmin, 0) + floor) : hi;
    rgb.set(shade((level - lo) / (hi - lo || 1)), 3 * k);
  });
  return `data:image/png;base64,${Buffer.from(encodePng(n, n, rgb)).toString("base64")}`;
}

export function landscapeMap(o: LandscapeMapOptions): VegaLiteSpec {
  const bounds = o.bounds ?? o.landscape.bounds;
  const [x0, x1, y0, y1] = bounds;
  const width = 360;
  const height = Math.round((width * (y1 - y0)) / (x1 - x0)) || width;
  const inside = (x: number, y: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  const path = o.paths.flatMap((p) =>
    thinIndices(p.xs.length, o.maxPoints ?? 300)
      .filter((i) => inside(p.xs[i]!, p.ys[i]!))
      .map((i) => ({ path: p.name, step: i, x: finite(p.xs[i]!), y: finite(p.ys[i]!) })),
  );
  const starts = o.paths.map((p) => ({ path: p.name, x: finite(p.xs[0]!), y: finite(p.ys[0]!) }));
  const minima = o.landscape.minima
    .filter((m) => inside(m.point[0], m.point[1]))
    .map((m) => ({ x: m.point[0], y: m.point[1] }));
  const xScale = { domain: [x0, x1], nice: false, zero: false };
  const yScale = { domain: [y0, y1], nice: false, zero: false };
  const x = { field: "x", type: "quantitative", title: "x", scale: xScale };
  const y = { field: "y", type: "quantitative", title: "y", scale: yScale };
  const color = { field: "path", type: "nominal", title: null, sort: o.paths.map((p) => p.name) };
  return base(o.title, {
    width,
    height,
    layer: [
      {
        data: { values: [{ x: x0, y: y1, url: raster(o, bounds) }] },
        mark: { type: "image", width, height, align: "left", baseline: "top", aspect: false },
        encoding: { x, y, url: { field: "url", type: "nominal" } },
      },
      {
        data: { values: path },
        mark: { type: "line", strokeWidth: 1.8, clip: true },
        encoding: { x, y, order: { field: "step", type: "quantitative" }, color },
      },
      {
        data: { values: starts },
        mark: { type: "point", shape: "circle", filled: true, size: 40, clip: true },
        encoding: { x, y, color },
      },
      {
        data: { values: minima },
        mark: { type: "point", shape: "cross", size: 70, color: "#d62728", strokeWidth: 2 },
        encoding: { x, y },
      },
    ],
  });
}
