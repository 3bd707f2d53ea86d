export { type Bar, type BarsOptions, bars } from "./bars.ts";
export { type Axis, thinIndices } from "./common.ts";
export { type HeatmapOptions, heatmap } from "./heatmap.ts";
export { type LandscapeMapOptions, landscapeMap, type Path } from "./landscape-map.ts";
export { type LinesOptions, lines, type Series } from "./lines.ts";
export { renderSvg } from "./render.ts";
