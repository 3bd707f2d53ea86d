/**
 * Vega-Lite spec → SVG text, in Node, with no browser: vega-lite compiles to Vega, Vega's headless
 * view renders to an SVG string (text widths are estimated, which is fine for labels).
 */
import { parse, View } from "vega";
import { compile } from "vega-lite";
import type { VegaLiteSpec } from "../experiment.ts";

const CONFIG = {
  // No per-mark aria-label: on a scatter of thousands of points it tripled the report's size; each
  // figure is described by its title and caption instead.
  aria: false,
  font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
  axis: { labelFontSize: 10, titleFontSize: 11, grid: true, gridOpacity: 0.35 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 220 },
  title: { fontSize: 13, anchor: "start" },
  view: { stroke: "#ccc" },
};

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // biome-ignore lint/suspicious/noExplicitAny: vega-lite's TopLevelSpec type is a deep union; the Lab's specs are plain JSON.
  const vega = compile({ config: CONFIG, ...spec } as any).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
