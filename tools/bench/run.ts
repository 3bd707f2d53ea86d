/**
 * `npm run bench`: optimizer-step throughput (M params/s, median of ≥ 5 runs after warm-up) for
 * momenta's reference chain, fused JS, WASM SIMD and WASM SIMD on 2 threads (params packed by
 * packTree), and WASM on plain arrays (default options; 1 and 2 threads), against PyTorch
 * (foreach=True, same thread count) and TF.js (tf.train.* on its cpu and wasm backends), all measured
 * in this one run, with the memory-stream ceiling and each column's ratio to PyTorch.
 * Then the headline figures (`headline.ts`: AdamW 1e7, plain and packed, 1 and 2 threads, the
 * recipe, float64; interleaved rounds with the ceiling probe and PyTorch), and L-BFGS per
 * iteration against torch.optim.LBFGS (`lbfgs.ts`).
 * Flags: --quick (1e5 and 1e6 only), --no-anchors, --no-tfjs. Writes tools/bench/results/bench.json.
 */
import { nodeThreadPool } from "momenta-optim/node";
import { pytorchAnchor } from "./anchors/pytorch.ts";
import { tfjsAnchor } from "./anchors/tfjs.ts";
import { compactStateBench, compactStateLine } from "./compact-state.ts";
import { headline, headlineLines } from "./headline.ts";
import { kernelFloorBench, kernelFloorLine } from "./kernel-floor.ts";
import { lbfgsBench, lbfgsLine } from "./lbfgs.ts";
import {
  type BenchOptimizer,
  type Column,
  momentaColumns,
  streamCeiling,
  threadCrossover,
} from "./momenta.ts";
import { type Cell, formatTable, resultsPath, writeJson } from "./table.ts";
import { MLP_PARAMS, type TfjsMlpRow, tfjsMlp } from "./tfjs-mlp.ts";
import { type AnchorResult, LAYOUTS, OPTIMIZERS, QUICK_SIZES, SIZES, sizeLabel } from "./types.ts";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const sizes: number[] = [...(quick ? QUICK_SIZES : SIZES)];
const THREADS = 2;
const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();

const pool = await nodeThreadPool(THREADS);

log("memory-stream ceiling (AdamW's 7 streams, no arithmetic) …");
const ceilingN = sizes[sizes.length - 1]!;
const ceiling = {
  n: ceilingN,
  one: streamCeiling(ceilingN, undefined).median,
  two: streamCeiling(ceilingN, pool).median,
};

const COLUMNS: Column[] = ["reference", "js", "wasm", "wasm-threads", "plain", "plain-threads"];
const momenta: { optimizer: string; n: number; layout: string; [k: string]: number | string | undefined }[] =
  [];
const benchOptimizers: BenchOptimizer[] = [...OPTIMIZERS, "lion"];
const total = benchOptimizers.length * sizes.length * LAYOUTS.length;
for (const optimizer of benchOptimizers) {
  for (const n of sizes) {
    for (const layout of LAYOUTS) {
      const cols = await momentaColumns(n, layout, optimizer, COLUMNS, pool);
      const row: (typeof momenta)[number] = { optimizer, n, layout };
      for (const c of COLUMNS) row[c] = cols[c]?.median;
      momenta.push(row);
      log(
        `[${momenta.length}/${total}] momenta ${optimizer} ${sizeLabel(n)} ${layout}: ${COLUMNS.map((c) => `${c} ${cols[c]?.median.toFixed(0)}`).join(", ")}`,
      );
    }
  }
}
pool.close();

log("thread crossover (WASM AdamW, 1 vs 2 threads) …");
const crossover = await threadCrossover([1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]);

let torch: AnchorResult & { torch?: string } = {
  available: false,
  reason: "skipped (--no-anchors)",
  rows: [],
};
const tfjs: Record<string, AnchorResult> = {};
if (!args.has("--no-anchors")) {
  log("PyTorch anchor …");
  torch = await pytorchAnchor({ threads: THREADS, quick, onProgress: (l) => log(`  torch: ${l}`) });
  if (!args.has("--no-tfjs")) {
    for (const backend of ["cpu", "wasm"] as const) {
      log(`TF.js ${backend} anchor …`);
      tfjs[backend] = await tfjsAnchor({
        backend,
        sizes,
        quick,
        onProgress: (l) => log(`  tfjs-${backend}: ${l}`),
      });
    }
  }
}

log("headline: interleaved rounds of (ceiling, momenta cases, PyTorch) …");
const head = await headline({ rounds: 3, n: quick ? 1e6 : 1e7, onProgress: (l) => log(`  ${l}`) });
log("L-BFGS: interleaved rounds of momenta and PyTorch …");
const lbfgs = (["float32", "float64"] as const).map((dtype) =>
  lbfgsBench({ n: quick ? 1e5 : 1e6, rounds: 3, dtype, onProgress: (l) => log(`  ${l}`) }),
);

const compactN = quick ? 1e6 : 1e7;
log(`AdamW with bfloat16 and 8-bit state at ${compactN.toExponential(0)} …`);
const compact = compactStateBench({ n: compactN, rounds: 3, onProgress: (l) => log(`  ${l}`) });
log("AdamW's float32 and bfloat16 kernels alone, in cache and at that size …");
const floor = kernelFloorBench(compactN, 5);

let mlp: TfjsMlpRow[] = [];
if (!args.has("--no-anchors") && !args.has("--no-tfjs")) {
  log(`TF.js MLP (${MLP_PARAMS} params) …`);
  mlp = await tfjsMlp();
}

const find = (a: AnchorResult | undefined, o: string, n: number, l: string) =>
  a?.available
    ? (a.rows.find((r) => r.optimizer === o && r.n === n && r.layout === l)?.mparams ?? undefined)
    : undefined;
const rows: Record<string, Cell>[] = momenta.map((r) => {
  const t = find(torch, r.optimizer, r.n, r.layout);
  const ratio = (x: unknown) => (typeof x === "number" && t ? `${(x / t).toFixed(1)}×` : undefined);
  return {
    case: `${r.optimizer} ${sizeLabel(r.n)} ${r.layout}`,
    reference: r.reference,
    js: r.js,
    wasm: r.wasm,
    "wasm-threads": r["wasm-threads"],
    plain: r.plain,
    "plain-threads": r["plain-threads"],
    torch: t,
    "tfjs-cpu": find(tfjs.cpu, r.optimizer, r.n, r.layout),
    "tfjs-wasm": find(tfjs.wasm, r.optimizer, r.n, r.layout),
    "js/torch": ratio(r.js),
    "wasm/torch": ratio(r.wasm),
    "wasm-2t/torch": ratio(r["wasm-threads"]),
  };
});

const table = formatTable(rows, [
  { key: "case", title: "case (M params/s, median)" },
  { key: "reference", title: "ref chain" },
  { key: "js", title: "fused JS" },
  { key: "wasm", title: "WASM SIMD" },
  { key: "wasm-threads", title: `WASM ${THREADS}t` },
  { key: "plain", title: "plain" },
  { key: "plain-threads", title: `plain ${THREADS}t` },
  { key: "torch", title: `PyTorch ${THREADS}t` },
  { key: "tfjs-cpu", title: "tfjs cpu" },
  { key: "tfjs-wasm", title: "tfjs wasm" },
  { key: "js/torch", title: "JS/torch", align: "right" },
  { key: "wasm/torch", title: "WASM/torch", align: "right" },
  { key: "wasm-2t/torch", title: `${THREADS}t/torch`, align: "right" },
]);

const adamw = momenta.find((r) => r.optimizer === "adamw" && r.n === ceilingN && r.layout === "one");
const many = momenta.find((r) => r.optimizer === "adamw" && r.n === ceilingN && r.layout === "many");
const lines = [
  table,
  "",
  `memory-stream ceiling at ${sizeLabel(ceilingN)} (read p,g,m,v; write p,m,v; no arithmetic): ${ceiling.one.toFixed(0)} M params/s on 1 thread, ${ceiling.two.toFixed(0)} on ${THREADS}`,
  adamw
    ? `AdamW ${sizeLabel(ceilingN)}: WASM ${THREADS}t reaches ${((adamw["wasm-threads"] as number) / ceiling.two).toFixed(2)} of the ${THREADS}-thread ceiling; 10k tensors vs one: ${(((many?.["wasm-threads"] as number) ?? 0) / (adamw["wasm-threads"] as number)).toFixed(2)}`
    : "",
  `threads (WASM AdamW, M params/s, 1t → 2t): ${crossover.map((c) => `${c.n}: ${c.one.toFixed(0)} → ${c.two.toFixed(0)}`).join("; ")}`,
  torch.available
    ? `PyTorch ${torch.torch} (foreach=True, ${THREADS} threads)`
    : `PyTorch: not available (${torch.reason})`,
  ...Object.entries(tfjs).map(([b, a]) =>
    a.available ? `TF.js ${b}: ${(a.notes ?? []).join("; ")}` : `TF.js ${b}: not available (${a.reason})`,
  ),
  ...(mlp.length
    ? [
        `TF.js MLP step (${MLP_PARAMS} params, M params/s): ${mlp.map((r) => `${r.backend} ${r.optimizer} ${r.mparams.toFixed(1)}`).join("; ")}`,
      ]
    : []),
  ...headlineLines(head),
  ...lbfgs.map(lbfgsLine),
  compactStateLine(compactN, compact),
  kernelFloorLine(floor),
  `took ${((Date.now() - started) / 1000).toFixed(0)} s`,
];
console.log(lines.filter(Boolean).join("\n"));
writeJson(resultsPath("bench.json"), {
  date: new Date().toISOString(),
  threads: THREADS,
  ceiling,
  momenta,
  crossover,
  torch,
  tfjs,
  mlp,
  headline: head,
  lbfgs,
  compactState: { n: compactN, rows: compact, kernelsAlone: floor },
  table,
});
