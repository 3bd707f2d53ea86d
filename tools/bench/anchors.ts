/**
 * The reference points for momenta's optimizer-step benchmark, on their own:
 *
 *     npx tsx --conditions=momenta-source tools/bench/anchors.ts [--quick]
 *
 * Runs PyTorch (2 threads, then 1), TF.js "cpu" and TF.js "wasm", prints one table of M params/s on stdout
 * (progress on stderr) and writes tools/bench/results/anchors.json. An anchor that cannot run says "not available".
 */
import os from "node:os";
import { pytorchAnchor } from "./anchors/pytorch.ts";
import { tfjsAnchor } from "./anchors/tfjs.ts";
import { type Cell, type Column, formatSignificant, formatTable, resultsPath, writeJson } from "./table.ts";
import {
  type AnchorResult,
  HYPERPARAMS,
  LAYOUTS,
  MANY_TENSORS,
  OPTIMIZERS,
  QUICK_SIZES,
  type Row,
  SIZES,
  sizeLabel,
} from "./types.ts";

const ANCHORS = ["pytorch-1t", "pytorch-2t", "tfjs-cpu", "tfjs-wasm"] as const;
type AnchorName = (typeof ANCHORS)[number];

const quick = process.argv.includes("--quick");
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function timed<T extends AnchorResult>(name: AnchorName, run: () => Promise<T>): Promise<T> {
  log(`== ${name}`);
  const started = performance.now();
  const result = await run();
  result.seconds = (performance.now() - started) / 1000;
  log(
    `== ${name}: ${result.available ? "done" : `not available (${result.reason})`} ` +
      `in ${result.seconds.toFixed(0)} s`,
  );
  return result;
}

const results = {} as Record<AnchorName, AnchorResult>;
results["pytorch-2t"] = await timed("pytorch-2t", () =>
  pytorchAnchor({ threads: 2, quick, onProgress: log }),
);
results["pytorch-1t"] = await timed("pytorch-1t", () =>
  pytorchAnchor({ threads: 1, quick, onProgress: log }),
);
results["tfjs-cpu"] = await timed("tfjs-cpu", () => tfjsAnchor({ backend: "cpu", quick, onProgress: log }));
results["tfjs-wasm"] = await timed("tfjs-wasm", () =>
  tfjsAnchor({ backend: "wasm", quick, onProgress: log }),
);

const sizes = quick ? QUICK_SIZES : SIZES;
const key = (r: Pick<Row, "optimizer" | "n" | "layout">): string => `${r.optimizer}/${r.n}/${r.layout}`;
const found = new Map<AnchorName, Map<string, Row>>(
  ANCHORS.map((a) => [a, new Map(results[a].rows.map((r) => [key(r), r]))]),
);

/** "*" marks a number with a note (fewer runs or steps than usual…); "n/a" and "skip" have a reason. */
function cell(row: Row | undefined): Cell {
  if (!row) return undefined;
  if (row.mparams === null) return row.skipped?.startsWith("n/a") ? "n/a" : "skip";
  return `${formatSignificant(row.mparams)}${row.note ? "*" : ""}`;
}

const tableRows: Record<string, Cell>[] = [];
const jsonRows: Record<string, string | number | null>[] = [];
const footnotes: string[] = [];
for (const n of sizes) {
  for (const layout of LAYOUTS) {
    for (const optimizer of OPTIMIZERS) {
      const k = key({ optimizer, n, layout });
      const tableRow: Record<string, Cell> = { optimizer, n: sizeLabel(n), layout };
      const jsonRow: Record<string, string | number | null> = { optimizer, n, layout };
      for (const a of ANCHORS) {
        const row = found.get(a)?.get(k);
        tableRow[a] = cell(row);
        jsonRow[a] = row?.mparams ?? null;
        const why =
          row?.note ?? (row?.mparams === null && row.optimizer !== "adamw" ? row.skipped : undefined);
        if (why) footnotes.push(`${a} ${optimizer} ${sizeLabel(n)} ${layout}: ${why}`);
      }
      tableRows.push(tableRow);
      jsonRows.push(jsonRow);
    }
  }
}

const columns: Column[] = [
  { key: "optimizer", title: "optimizer" },
  { key: "n", title: "n", align: "right" },
  { key: "layout", title: "layout" },
  ...ANCHORS.map((a): Column => ({ key: a, title: a, align: "right" })),
];

const lines: string[] = [
  `Optimizer step, M params/s (float32 params / median seconds per step / 1e6)${quick ? " — quick" : ""}`,
  `"many" = ${MANY_TENSORS} tensors of n/${MANY_TENSORS}; hyperparameters: ` +
    OPTIMIZERS.map((o) => `${o} ${HYPERPARAMS[o]}`).join("; "),
  "",
  formatTable(tableRows, columns),
  "",
];
for (const a of ANCHORS) {
  const r = results[a];
  const took = r.seconds === undefined ? "" : ` (${r.seconds.toFixed(0)} s)`;
  if (!r.available) lines.push(`${a}: not available — ${r.reason ?? "unknown reason"}${took}`);
  else lines.push(`${a}${took}: ${(r.notes ?? []).join(" | ")}`);
}
if (footnotes.length > 0) lines.push("", "* and skip:", ...footnotes.map((f) => `  ${f}`));
process.stdout.write(`${lines.join("\n")}\n`);

const path = resultsPath("anchors.json");
writeJson(path, {
  generated: new Date().toISOString(),
  quick,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  unit: "M params/s",
  table: jsonRows,
  anchors: results,
});
log(`wrote ${path}`);
