/**
 * Gaussian wells on a quadratic bowl, f = ½b·(x² + y²) − Σ Dᵢ·exp(−|p − cᵢ|²/(2wᵢ²)): the shared
 * arithmetic of the sharp-wide and multi-basin landscapes. The bowl keeps f bounded below and every
 * value finite; each well is one basin, as deep as D and as sharp as D/w² (its curvature).
 */
export interface Well {
  center: readonly [number, number];
  depth: number;
  width: number;
}

export interface WellsField {
  value(x: number, y: number): number;
  gradient(x: number, y: number, out?: Float64Array): Float64Array;
  hessian(x: number, y: number): [number, number, number];
}

export function wellsField(bowl: number, wells: readonly Well[]): WellsField {
  const ws = wells.map((w) => ({
    cx: w.center[0],
    cy: w.center[1],
    d: w.depth,
    inv: 1 / (w.width * w.width),
  }));
  return {
    value(x, y) {
      let f = 0.5 * bowl * (x * x + y * y);
      for (const w of ws) {
        const dx = x - w.cx;
        const dy = y - w.cy;
        f -= w.d * Math.exp(-0.5 * (dx * dx + dy * dy) * w.inv);
      }
      return f;
    },
    gradient(x, y, out = new Float64Array(2)) {
      let gx = bowl * x;
      let gy = bowl * y;
      for (const w of ws) {
        const dx = x - w.cx;
        const dy = y - w.cy;
        // ∇(−D·e^(−|Δ|²/2w²)) = (D/w²)·e·Δ.
        const e = w.d * w.inv * Math.exp(-0.5 * (dx * dx + dy * dy) * w.inv);
        gx += e * dx;
        gy += e * dy;
      }
      out[0] = gx;
      out[1] = gy;
      return out;
    },
    hessian(x, y) {
      let hxx = bowl;
      let hxy = 0;
      let hyy = bowl;
      for (const w of ws) {
        const dx = x - w.cx;
        const dy = y - w.cy;
        const e = w.d * w.inv * Math.exp(-0.5 * (dx * dx + dy * dy) * w.inv);
        hxx += e * (1 - dx * dx * w.inv);
        hxy -= e * dx * dy * w.inv;
        hyy += e * (1 - dy * dy * w.inv);
      }
      return [hxx, hxy, hyy];
    },
  };
}
