/**
 * The live training-loss curve: an SVG of every update's loss (faint) and its running average
 * (bright; an exponential average, bias-corrected as Adam's moments are, so it does not start at
 * the first loss alone) against the step, on axes fixed for the run (0 to the whole run's steps, 0 to the larger
 * of ln 10 — a uniform guess's loss — and the losses so far), redrawn as the losses arrive.
 */
import { h } from "../dom.ts";

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 220;
/** Room for the axes' labels: left and bottom get 1.5×, top and right 0.5×. */
const PAD = 28;
/** The running average's weight on the newest loss. */
const SMOOTH = 0.1;

export interface LossCurve {
  readonly element: HTMLElement;
  /** Clears the curve for a run of `steps` updates. */
  reset(steps: number): void;
  /** The losses so far (one per update), and the held-out accuracies so far (one per epoch). */
  draw(losses: readonly number[], accuracies: readonly number[]): void;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function createLossCurve(): LossCurve {
  const caption = h("figcaption", { id: "loss-caption" }, "No run yet: press Start.");
  const root = svg("svg", { id: "loss-curve", viewBox: `0 0 ${W} ${H}`, role: "img" });
  root.setAttribute("aria-labelledby", caption.id);
  const left = 1.5 * PAD;
  const axes = svg("path", { class: "axes", d: `M${left},${PAD / 2}V${H - PAD}H${W - PAD / 2}` });
  const raw = svg("polyline", { class: "raw", points: "" });
  const smooth = svg("polyline", { class: "smooth", points: "" });
  const yTop = svg("text", { x: left - 4, y: PAD / 2 + 4, "text-anchor": "end" });
  const yZero = svg("text", { x: left - 4, y: H - PAD + 4, "text-anchor": "end" });
  const xEnd = svg("text", { x: W - PAD / 2, y: H - PAD + 16, "text-anchor": "end" });
  yZero.textContent = "0";
  root.append(axes, raw, smooth, yTop, yZero, xEnd);
  const figure = h("figure", { class: "loss-curve" }, root as unknown as Node, caption);
  let steps = 1;

  return {
    element: figure,
    reset(n) {
      steps = Math.max(n, 1);
      raw.setAttribute("points", "");
      smooth.setAttribute("points", "");
      xEnd.textContent = `step ${n}`;
      yTop.textContent = "";
      caption.textContent = `Training loss over ${n} updates.`;
    },
    draw(losses, accuracies) {
      const top = Math.max(Math.LN10, ...losses.filter(Number.isFinite));
      const X = (t: number) => (left + ((W - left - PAD / 2) * (t + 1)) / steps).toFixed(1);
      const Y = (v: number) => (H - PAD - ((H - 1.5 * PAD) * v) / top).toFixed(1);
      let ema = 0;
      let avg = 0;
      const rawPts: string[] = [];
      const smoothPts: string[] = [];
      losses.forEach((v, t) => {
        ema += SMOOTH * (v - ema);
        avg = ema / (1 - (1 - SMOOTH) ** (t + 1));
        rawPts.push(`${X(t)},${Y(v)}`);
        smoothPts.push(`${X(t)},${Y(avg)}`);
      });
      raw.setAttribute("points", rawPts.join(" "));
      smooth.setAttribute("points", smoothPts.join(" "));
      yTop.textContent = top.toFixed(2);
      const acc = accuracies.at(-1);
      caption.textContent =
        losses.length === 0
          ? `Training loss over ${steps} updates.`
          : `Loss at update ${losses.length}: ${losses.at(-1)!.toFixed(3)} (running average ${avg.toFixed(3)})` +
            (acc === undefined ? "" : ` · held-out accuracy ${(100 * acc).toFixed(1)} %`);
    },
  };
}
