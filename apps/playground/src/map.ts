/**
 * The map: the contour background (cached), the trajectories on top, start points, minima, and a
 * keyboard cursor. Click — or move the cursor with the arrow keys and press Enter — to drop a start.
 */
import { paintContours, sampleGrid } from "./contours.ts";
import type { Landscape } from "./landscapes.ts";
import type { Race } from "./race.ts";
import { canvasSize, makeView, type View } from "./view.ts";

export const PALETTE = [
  "#ff5d5d",
  "#ffd23f",
  "#3fd0ff",
  "#ff4fc3",
  "#a8f04a",
  "#ff9a3c",
  "#b98cff",
  "#ffffff",
];

export interface MapCanvas {
  readonly canvas: HTMLCanvasElement;
  view: View;
  setLandscape(l: Landscape, maxWidth: number): void;
  draw(
    race: Race | undefined,
    starts: readonly [number, number][],
    selected: { racer: number; start: number },
  ): void;
}

export function createMap(
  onDrop: (x: number, y: number) => void,
  announce: (message: string) => void,
): MapCanvas {
  const canvas = document.createElement("canvas");
  canvas.id = "map";
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-describedby", "map-help");
  const ctx = canvas.getContext("2d")!;
  let background: HTMLCanvasElement | undefined;
  let landscape: Landscape | undefined;
  let cursor: [number, number] | undefined;
  let focused = false;
  let last: Parameters<MapCanvas["draw"]> | undefined;
  const dpr = () => Math.max(1, Math.min(window.devicePixelRatio || 1, 3));

  const map: MapCanvas = {
    canvas,
    view: makeView([-1, 1, -1, 1], 400, 400),
    setLandscape(l, maxWidth) {
      landscape = l;
      const [w, h] = canvasSize(l.bounds, Math.max(240, maxWidth), 640);
      map.view = makeView(l.bounds, w, h);
      const r = dpr();
      canvas.width = Math.round(w * r);
      canvas.height = Math.round(h * r);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      canvas.setAttribute("aria-label", `Contour map of ${l.name}. ${l.description}`);
      background = document.createElement("canvas");
      background.width = canvas.width;
      background.height = canvas.height;
      const b = background.getContext("2d")!;
      b.setTransform(r, 0, 0, r, 0, 0);
      const grid = sampleGrid(l, map.view, Math.ceil(w / 2), Math.ceil(h / 2));
      paintContours(b, grid, map.view);
      for (const m of l.minima) {
        const [px, py] = map.view.toPixel(m.point[0], m.point[1]);
        b.strokeStyle = "rgba(255,255,255,0.9)";
        b.lineWidth = 1.5;
        b.beginPath();
        b.moveTo(px - 5, py - 5);
        b.lineTo(px + 5, py + 5);
        b.moveTo(px + 5, py - 5);
        b.lineTo(px - 5, py + 5);
        b.stroke();
      }
      cursor = [l.start[0], l.start[1]];
      if (last) map.draw(...last);
    },
    draw(race, starts, selected) {
      last = [race, starts, selected];
      const r = dpr();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      if (background) ctx.drawImage(background, 0, 0);
      ctx.setTransform(r, 0, 0, r, 0, 0);
      const v = map.view;
      const runs = race ? [...race.runs] : [];
      // The selected run last, on top.
      runs.sort(
        (a, b) =>
          Number(a.racer === selected.racer && a.start === selected.start) -
          Number(b.racer === selected.racer && b.start === selected.start),
      );
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      for (const run of runs) {
        const isSel = run.racer === selected.racer && run.start === selected.start;
        const colour = PALETTE[run.racer % PALETTE.length]!;
        const trace = () => {
          ctx.beginPath();
          for (let i = 0; i < run.length; i++) {
            const [px, py] = v.toPixel(run.xs[i]!, run.ys[i]!);
            if (!Number.isFinite(px) || !Number.isFinite(py)) break;
            if (i === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          }
        };
        trace();
        ctx.strokeStyle = "rgba(10, 20, 30, 0.75)";
        ctx.lineWidth = isSel ? 5 : 3.5;
        ctx.stroke();
        ctx.strokeStyle = colour;
        ctx.lineWidth = isSel ? 2.6 : 1.6;
        ctx.stroke();
        let k = run.length - 1;
        while (k > 0 && !(Number.isFinite(run.xs[k]!) && Number.isFinite(run.ys[k]!))) k--;
        const [px, py] = v.toPixel(run.xs[k]!, run.ys[k]!);
        ctx.beginPath();
        ctx.arc(px, py, isSel ? 5.5 : 4, 0, 2 * Math.PI);
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#0b1620";
        ctx.stroke();
        if (run.status === "diverged" || run.status === "error") {
          ctx.fillStyle = "#fff";
          ctx.font = "bold 12px system-ui, sans-serif";
          ctx.fillText(run.status === "error" ? "error" : "diverged", px + 7, py - 7);
        }
      }
      starts.forEach(([x, y], i) => {
        const [px, py] = v.toPixel(x, y);
        ctx.beginPath();
        ctx.arc(px, py, 7, 0, 2 * Math.PI);
        ctx.fillStyle = "rgba(255,255,255,0.92)";
        ctx.fill();
        ctx.strokeStyle = "#0b1620";
        ctx.lineWidth = 1.5;
        ctx.stroke();
        ctx.fillStyle = "#0b1620";
        ctx.font = "bold 10px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(String(i + 1), px, py + 0.5);
        ctx.textAlign = "start";
        ctx.textBaseline = "alphabetic";
      });
      if (focused && cursor) {
        const [px, py] = v.toPixel(cursor[0], cursor[1]);
        ctx.strokeStyle = "#fff";
        ctx.lineWidth = 1;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(px - 12, py);
        ctx.lineTo(px + 12, py);
        ctx.moveTo(px, py - 12);
        ctx.lineTo(px, py + 12);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    },
  };

  const redraw = () => {
    if (last) map.draw(...last);
  };
  canvas.addEventListener("click", (e) => {
    const rect = canvas.getBoundingClientRect();
    const [x, y] = map.view.toWorld(
      ((e.clientX - rect.left) * map.view.width) / rect.width,
      ((e.clientY - rect.top) * map.view.height) / rect.height,
    );
    cursor = [x, y];
    onDrop(x, y);
  });
  canvas.addEventListener("focus", () => {
    focused = true;
    redraw();
  });
  canvas.addEventListener("blur", () => {
    focused = false;
    redraw();
  });
  canvas.addEventListener("keydown", (e) => {
    if (!cursor || !landscape) return;
    const [x0, x1] = map.view.window;
    const step = ((x1 - x0) / 40) * (e.shiftKey ? 5 : 1);
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      cursor = [cursor[0] + m[0], cursor[1] + m[1]];
      announce(`cursor at x ${cursor[0].toFixed(2)}, y ${cursor[1].toFixed(2)}`);
      redraw();
    } else if (e.key === "Enter") {
      e.preventDefault();
      onDrop(cursor[0], cursor[1]);
    }
  });
  return map;
}
