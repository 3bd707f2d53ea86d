/** Landscape coordinates ↔ canvas pixels (CSS pixels, y up), with one scale for both axes. */

export interface View {
  /** The window drawn: [xmin, xmax, ymin, ymax] (the landscape's bounds, widened to the canvas's shape). */
  window: [number, number, number, number];
  width: number;
  height: number;
  toPixel(x: number, y: number): [number, number];
  toWorld(px: number, py: number): [number, number];
}

/** The canvas shape for some bounds: their aspect ratio, kept within 1:2 … 2:1. */
export function canvasSize(bounds: readonly number[], maxWidth: number, maxHeight: number): [number, number] {
  const [x0, x1, y0, y1] = bounds as [number, number, number, number];
  const aspect = Math.min(Math.max((x1 - x0) / (y1 - y0), 0.5), 2);
  let w = maxWidth;
  let h = w / aspect;
  if (h > maxHeight) {
    h = maxHeight;
    w = h * aspect;
  }
  return [Math.round(w), Math.round(h)];
}

export function makeView(bounds: readonly number[], width: number, height: number): View {
  const [x0, x1, y0, y1] = bounds as [number, number, number, number];
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hw = width / scale / 2;
  const hh = height / scale / 2;
  return {
    window: [cx - hw, cx + hw, cy - hh, cy + hh],
    width,
    height,
    toPixel: (x, y) => [(x - (cx - hw)) * scale, (cy + hh - y) * scale],
    toWorld: (px, py) => [cx - hw + px / scale, cy + hh - py / scale],
  };
}
