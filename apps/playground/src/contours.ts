/**
 * The contour map: f sampled on a grid, shaded by rank (so every landscape, whatever its range or its
 * infinities, uses the whole colour ramp) with isolines at value quantiles from marching squares.
 */
import type { Landscape } from "./landscapes.ts";
import type { View } from "./view.ts";

export interface Grid {
  nx: number;
  ny: number;
  /** Row-major, row 0 at the top of the window (largest y). */
  values: Float64Array;
  /** The rank of each value among the finite ones, in [0, 1]; non-finite values rank 1. */
  ranks: Float32Array;
  /** Isoline levels. */
  levels: number[];
}

export function sampleGrid(l: Landscape, view: View, nx: number, ny: number, levelCount = 18): Grid {
  const values = new Float64Array(nx * ny);
  const [x0, x1, y0, y1] = view.window;
  for (let j = 0; j < ny; j++) {
    const y = y1 - ((j + 0.5) * (y1 - y0)) / ny;
    for (let i = 0; i < nx; i++) values[j * nx + i] = l.value(x0 + ((i + 0.5) * (x1 - x0)) / nx, y);
  }
  const finite = Float64Array.from(values.filter(Number.isFinite)).sort();
  const ranks = new Float32Array(values.length);
  const n = finite.length;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v) || n === 0) {
      ranks[k] = 1;
      continue;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (finite[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    ranks[k] = n > 1 ? lo / (n - 1) : 0;
  }
  const levels: number[] = [];
  for (let q = 1; q <= levelCount; q++) {
    // Denser near the bottom, where the minima are: quantiles at (q/(L+1))².
    const at = finite[Math.min(n - 1, Math.floor((q / (levelCount + 1)) ** 2 * n))];
    if (at !== undefined && (levels.length === 0 || at > levels[levels.length - 1]!)) levels.push(at);
  }
  return { nx, ny, values, ranks, levels };
}

/**
 * Isoline segments of `level` as [x0, y0, x1, y1, …] in grid coordinates (cell centres at i + 0.5).
 * A saddle cell (four crossings) pairs its crossings by the cell's mean value.
 */
export function isoline(g: Grid, level: number): number[] {
  const out: number[] = [];
  const { nx, ny, values } = g;
  const pts: number[] = [];
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = values[j * nx + i]!;
      const b = values[j * nx + i + 1]!;
      const c = values[(j + 1) * nx + i + 1]!;
      const d = values[(j + 1) * nx + i]!;
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      pts.length = 0;
      // Edges in order: top (a→b), right (b→c), bottom (d→c), left (a→d).
      const edge = (v0: number, v1: number, x0: number, y0: number, x1: number, y1: number) => {
        if (v0 < level !== v1 < level) {
          const t = (level - v0) / (v1 - v0);
          pts.push(x0 + t * (x1 - x0) + 0.5, y0 + t * (y1 - y0) + 0.5);
        }
      };
      edge(a, b, i, j, i + 1, j);
      edge(b, c, i + 1, j, i + 1, j + 1);
      edge(d, c, i, j + 1, i + 1, j + 1);
      edge(a, d, i, j, i, j + 1);
      if (pts.length === 4) out.push(...pts);
      else if (pts.length === 8) {
        // top, right, bottom, left: join each crossing to a neighbour, choosing by the centre.
        const centreAbove = (a + b + c + d) / 4 >= level;
        const aAbove = a >= level;
        if (centreAbove === aAbove)
          out.push(pts[0]!, pts[1]!, pts[2]!, pts[3]!, pts[4]!, pts[5]!, pts[6]!, pts[7]!);
        else out.push(pts[0]!, pts[1]!, pts[6]!, pts[7]!, pts[2]!, pts[3]!, pts[4]!, pts[5]!);
      }
    }
  }
  return out;
}

/** The shading ramp, low → high: deep teal through pale sand. */
const RAMP: [number, number, number][] = [
  [24, 52, 74],
  [37, 92, 110],
  [70, 132, 132],
  [126, 170, 150],
  [190, 206, 170],
  [236, 232, 205],
];

function ramp(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const k = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - k;
  const p = RAMP[k]!;
  const q = RAMP[k + 1]!;
  return [p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1]), p[2] + f * (q[2] - p[2])];
}

/** Paints the shaded map and its isolines on a canvas of `view.width × view.height` CSS pixels. */
export function paintContours(ctx: CanvasRenderingContext2D, g: Grid, view: View): void {
  const img = new ImageData(g.nx, g.ny);
  for (let k = 0; k < g.ranks.length; k++) {
    const [r, gg, b] = ramp(g.ranks[k]!);
    img.data[4 * k] = r;
    img.data[4 * k + 1] = gg;
    img.data[4 * k + 2] = b;
    img.data[4 * k + 3] = 255;
  }
  const tmp = new OffscreenCanvas(g.nx, g.ny);
  tmp.getContext("2d")!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, view.width, view.height);
  const sx = view.width / g.nx;
  const sy = view.height / g.ny;
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = "rgba(255, 255, 255, 0.32)";
  ctx.beginPath();
  for (const level of g.levels) {
    const seg = isoline(g, level);
    for (let k = 0; k < seg.length; k += 4) {
      ctx.moveTo(seg[k]! * sx, seg[k + 1]! * sy);
      ctx.lineTo(seg[k + 2]! * sx, seg[k + 3]! * sy);
    }
  }
  ctx.stroke();
}
