import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bars, heatmap, landscapeMap, lines, renderSvg, thinIndices } from "../../../src/lab/plot/index.ts";
import { encodePng } from "../../../src/lab/plot/png.ts";

describe("figures", () => {
  it("thinning keeps the ends and at most max points", () => {
    expect(thinIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const kept = thinIndices(1001, 11);
    expect(kept.length).toBe(11);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(1000);
  });

  it("line charts render to SVG with one path per series, bands and log axes", async () => {
    const x = [1, 2, 3, 4];
    const spec = lines({
      title: "loss",
      x: { label: "step" },
      y: { label: "loss", log: true },
      series: [
        { name: "adam", x, y: [1, 0.5, 0.25, 0], lo: [0.9, 0.4, 0.2, 0], hi: [1.1, 0.6, 0.3, 0] },
        { name: "sgd", x, y: [1, Number.NaN, 0.8, 0.7] },
      ],
      rules: [{ y: 0.3, label: "target" }],
    });
    const rows = (spec.data as { values: { series: string; y: number | null }[] }).values;
    // Non-positive and NaN values cannot sit on a log axis: they are left out.
    expect(rows.filter((r) => r.series === "adam")).toHaveLength(3);
    expect(rows.filter((r) => r.series === "sgd")).toHaveLength(3);
    // On a linear axis NaN becomes a gap (null): Vega cannot draw NaN.
    const linear = lines({
      x: { label: "x" },
      y: { label: "y" },
      series: [{ name: "s", x, y: [1, Number.NaN, 2, 3] }],
    });
    expect((linear.data as { values: { y: number | null }[] }).values[1]!.y).toBeNull();
    const svg = await renderSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("adam");
    // A reference line is drawn once, not once per data row.
    expect(svg.split(">target<").length - 1).toBe(1);
  });

  it("heatmaps check their grid and label cells", async () => {
    expect(() =>
      heatmap({ x: { label: "lr", values: [1, 2] }, y: { label: "wd", values: [0] }, z: [[1]], zLabel: "z" }),
    ).toThrow(/one row per y/);
    const svg = await renderSvg(
      heatmap({
        x: { label: "lr", values: [0.001, 0.01] },
        y: { label: "wd", values: [0, 0.1] },
        z: [
          [0.91, null],
          [0.95, 0.97],
        ],
        zLabel: "accuracy",
      }),
    );
    expect(svg).toContain("0.97");
    expect(svg).toContain("accuracy");
  });

  it("bar charts with error bars", async () => {
    const svg = await renderSvg(
      bars({
        categoryLabel: "optimizer",
        y: { label: "share" },
        bars: [
          { category: "β=0", group: "sgd", value: 0.2, lo: 0.1, hi: 0.3 },
          { category: "β=0.9", group: "sgd", value: 0.6 },
        ],
      }),
    );
    expect(svg).toContain("β=0.9");
  });

  it("landscape maps embed the raster as a PNG and draw paths inside the window only", async () => {
    const spec = landscapeMap({
      landscape: {
        value: (x, y) => x * x + 10 * y * y,
        bounds: [-2, 2, -1, 1],
        minima: [{ point: [0, 0], value: 0 }],
      },
      paths: [{ name: "gd", xs: [1.5, 5, 0.1], ys: [0.5, 0, 0] }],
      resolution: 20,
    });
    const layers = spec.layer as { data: { values: Record<string, unknown>[] } }[];
    expect(layers[1]!.data.values.map((r) => r.x)).toEqual([1.5, 0.1]);
    const url = layers[0]!.data.values[0]!.url as string;
    expect(url.startsWith("data:image/png;base64,")).toBe(true);
    const svg = await renderSvg(spec);
    expect(svg).toContain("<image");
    expect(svg.length).toBeLessThan(60_000);
  });

  it("the PNG encoder writes a valid signature, header and pixels", () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 7);
    const png = encodePng(2, 3, rgb);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer);
    expect(view.getUint32(16)).toBe(2);
    expect(view.getUint32(20)).toBe(3);
    const idatLength = view.getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(3 * (1 + 6));
    expect([...raw.subarray(1, 7)]).toEqual([...rgb.subarray(0, 6)]);
    expect(() => encodePng(2, 2, rgb)).toThrow(/width·height·3/);
  });
});
