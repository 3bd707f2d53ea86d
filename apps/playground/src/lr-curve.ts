/** The selected racer's learning rate over the race, with a cursor at the current step. */
import { fmt } from "./spec.ts";

export interface LrCurve {
  readonly element: HTMLElement;
  draw(lrAt: ((count: number) => number) | undefined, steps: number, step: number, colour: string): void;
}

export function createLrCurve(): LrCurve {
  const figure = document.createElement("figure");
  figure.className = "lr-curve";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  const caption = document.createElement("figcaption");
  caption.id = "lr-caption";
  canvas.setAttribute("aria-labelledby", caption.id);
  figure.append(canvas, caption);
  const ctx = canvas.getContext("2d")!;
  let cache: { key: (count: number) => number; steps: number; values: Float64Array; max: number } | undefined;

  return {
    element: figure,
    draw(lrAt, steps, step, colour) {
      const w = Math.max(200, figure.clientWidth || 300);
      const h = 90;
      const r = Math.max(1, Math.min(window.devicePixelRatio || 1, 3));
      if (canvas.width !== Math.round(w * r)) {
        canvas.width = Math.round(w * r);
        canvas.height = Math.round(h * r);
        canvas.style.width = `${w}px`;
        canvas.style.height = `${h}px`;
      }
      ctx.setTransform(r, 0, 0, r, 0, 0);
      ctx.clearRect(0, 0, w, h);
      if (!lrAt) {
        caption.textContent = "No run selected.";
        return;
      }
      if (!cache || cache.key !== lrAt || cache.steps !== steps) {
        const values = new Float64Array(steps);
        let max = 0;
        for (let t = 0; t < steps; t++) {
          let v: number;
          try {
            v = lrAt(t);
          } catch {
            v = Number.NaN;
          }
          values[t] = v;
          if (Number.isFinite(v) && v > max) max = v;
        }
        cache = { key: lrAt, steps, values, max };
      }
      const { values, max } = cache;
      const pad = 4;
      const X = (t: number) => pad + ((w - 2 * pad) * t) / Math.max(steps - 1, 1);
      const Y = (v: number) => h - pad - ((h - 2 * pad) * v) / (max || 1);
      ctx.strokeStyle = "rgba(255,255,255,0.15)";
      ctx.beginPath();
      ctx.moveTo(pad, h - pad);
      ctx.lineTo(w - pad, h - pad);
      ctx.stroke();
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      for (let t = 0; t < steps; t++) {
        const v = values[t]!;
        if (!Number.isFinite(v)) continue;
        if (t === 0) ctx.moveTo(X(t), Y(v));
        else ctx.lineTo(X(t), Y(v));
      }
      ctx.stroke();
      // The cursor marks the lr of the next update (count = updates already applied).
      const at = Math.min(step, steps - 1);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(X(at), pad);
      ctx.lineTo(X(at), h - pad);
      ctx.stroke();
      const cur = values[at];
      if (cur !== undefined && Number.isFinite(cur)) {
        ctx.fillStyle = "#fff";
        ctx.beginPath();
        ctx.arc(X(at), Y(cur), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      caption.textContent = `lr(${at}) = ${cur === undefined ? "—" : fmt(cur)} · peak ${fmt(max)} · ${steps} updates`;
    },
  };
}
