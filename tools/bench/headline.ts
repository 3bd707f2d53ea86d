/**
 * The headline figures (issue #15's targets), AdamW on 1e7 float32 params in one leaf, measured in
 * interleaved rounds — each round: the 2-thread memory-stream ceiling probe, every momenta case, then
 * PyTorch's foreach AdamW on 2 threads — so the machine's drifting bandwidth hits them alike; each
 * figure is the median over rounds (M params/s), and each ratio the median of the per-round ratios.
 *
 * Cases: "plain" — plain Float32Arrays, `createOptimizer(adamw(), params)` with no options, gradients
 * in the caller's own arrays (the README Quickstart's path); "plain 2t" — the same with a 2-thread
 * pool; "packed"/"packed 2t" — params packed by packTree, gradients written into `opt.grads`;
 * "recipe …" — `adamwRecipe` (clip → AdamW warmup-cosine, skipNonFinite, EMA) on those paths;
 * "float64 js" / "float64 plain" / "float64 packed" — a Float64Array leaf on the fused JS kernel, and
 * on the float64 WASM kernel (plain arrays staged, or packed).
 *
 *     npx tsx --conditions=momenta-source tools/bench/headline.ts [--rounds 3] [--n 1e7]
 *
 * `npm run bench` runs it too (3 rounds) and records it in bench.json.
 */
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { pytorchAnchor } from "./anchors/pytorch.ts";
import { streamCeiling } from "./momenta.ts";
import { measure } from "./table.ts";

export interface Headline {
  n: number;
  rounds: number;
  /** Median M params/s over rounds, per case ("ceiling 2t" and "pytorch 2t" included). */
  medians: Record<string, number>;
  /** Each round's M params/s, per case. */
  perRound: Record<string, number[]>;
  /** Medians of per-round ratios. */
  ratios: Record<string, number>;
  /** Why PyTorch is missing, when it is. */
  torchMissing?: string;
}

const CASES = [
  "plain",
  "plain 2t",
  "packed",
  "packed 2t",
  "recipe plain",
  "recipe packed 2t",
  "float64 js",
  "float64 plain",
  "float64 packed",
] as const;
type Case = (typeof CASES)[number];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function headline(
  opts: { rounds?: number; n?: number; onProgress?: (line: string) => void } = {},
): Promise<Headline> {
  const rounds = opts.rounds ?? 3;
  const n = opts.n ?? 1e7;
  const log = opts.onProgress ?? (() => {});
  const pool = await nodeThreadPool(2);
  const init = (a: Float32Array | Float64Array) => {
    for (let j = 0; j < a.length; j++) a[j] = Math.sin(j) * 0.5;
    return a;
  };
  const grads = new Float32Array(n);
  for (let j = 0; j < n; j++) grads[j] = Math.cos(j) * 0.01;
  const grads64 = Float64Array.from(grads);
  const recipe = () => m.adamwRecipe({ totalSteps: 1_000_000, lr: 1e-3 });
  const bare = () => m.adamw({ lr: 1e-3, weightDecay: 0.01 });
  // Each case: its optimizer and the step the user would call.
  const make: Record<Case, () => () => void> = {
    plain: () => {
      const opt = m.createOptimizer(bare(), { w: init(new Float32Array(n)) });
      return () => opt.step({ w: grads });
    },
    "plain 2t": () => {
      const opt = m.createOptimizer(bare(), { w: init(new Float32Array(n)) }, { pool });
      return () => opt.step({ w: grads });
    },
    packed: () => {
      const opt = m.createOptimizer(bare(), m.packTree({ w: init(new Float32Array(n)) }));
      for (const g of m.leavesOf(opt.grads)) g.set(grads);
      return () => opt.step(opt.grads);
    },
    "packed 2t": () => {
      const opt = m.createOptimizer(bare(), m.packTree({ w: init(new Float32Array(n)) }, { shared: true }), {
        pool,
      });
      for (const g of m.leavesOf(opt.grads)) g.set(grads);
      return () => opt.step(opt.grads);
    },
    "recipe plain": () => {
      const opt = m.createOptimizer(recipe(), { w: init(new Float32Array(n)) });
      return () => opt.step({ w: grads });
    },
    "recipe packed 2t": () => {
      const opt = m.createOptimizer(
        recipe(),
        m.packTree({ w: init(new Float32Array(n)) }, { shared: true }),
        {
          pool,
        },
      );
      for (const g of m.leavesOf(opt.grads)) g.set(grads);
      return () => opt.step(opt.grads);
    },
    "float64 js": () => {
      const opt = m.createOptimizer(bare(), { w: init(new Float64Array(n)) }, { kernel: "js" });
      return () => opt.step({ w: grads64 });
    },
    "float64 plain": () => {
      const opt = m.createOptimizer(bare(), { w: init(new Float64Array(n)) });
      return () => opt.step({ w: grads64 });
    },
    "float64 packed": () => {
      const opt = m.createOptimizer(bare(), m.packTree({ w: init(new Float64Array(n)) }));
      for (const g of m.leavesOf(opt.grads)) g.set(grads64);
      return () => opt.step(opt.grads);
    },
  };
  const steps = Object.fromEntries(CASES.map((c) => [c, make[c]()])) as Record<Case, () => void>;
  const perRound: Record<string, number[]> = { "ceiling 2t": [], "pytorch 2t": [] };
  for (const c of CASES) perRound[c] = [];
  let torchMissing: string | undefined;
  try {
    for (let r = 0; r < rounds; r++) {
      perRound["ceiling 2t"]!.push(streamCeiling(n, pool).median);
      for (const c of CASES) {
        perRound[c]!.push(measure(steps[c], { n, runs: 3, budgetSeconds: 3 }).median);
      }
      const torch = await pytorchAnchor({
        threads: 2,
        extraArgs: [
          "--sizes",
          String(n),
          "--layouts",
          "one",
          "--optimizers",
          "adamw",
          "--runs",
          "3",
          "--passes",
          "1",
        ],
      });
      const row = torch.available ? torch.rows[0] : undefined;
      if (row?.mparams) perRound["pytorch 2t"]!.push(row.mparams);
      else torchMissing = torch.reason ?? "no row";
      log(
        `round ${r + 1}/${rounds}: ${Object.entries(perRound)
          .map(([k, v]) => `${k} ${v.at(-1)?.toFixed(0) ?? "–"}`)
          .join(", ")}`,
      );
    }
  } finally {
    pool.close();
  }
  const medians = Object.fromEntries(
    Object.entries(perRound)
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => [k, median(v)]),
  );
  const ratio = (a: string, b: string): number | undefined => {
    const xs = perRound[a]!;
    const ys = perRound[b]!;
    if (xs.length !== ys.length || xs.length === 0) return undefined;
    return median(xs.map((x, i) => x / ys[i]!));
  };
  const wanted: [string, string, string][] = [
    ["plain / pytorch 2t", "plain", "pytorch 2t"],
    ["plain 2t / pytorch 2t", "plain 2t", "pytorch 2t"],
    ["plain / packed", "plain", "packed"],
    ["plain 2t / packed 2t", "plain 2t", "packed 2t"],
    ["packed 2t / ceiling 2t", "packed 2t", "ceiling 2t"],
    ["recipe packed 2t / packed 2t", "recipe packed 2t", "packed 2t"],
    ["recipe plain / plain", "recipe plain", "plain"],
    ["float64 packed / float64 js", "float64 packed", "float64 js"],
    ["float64 plain / float64 js", "float64 plain", "float64 js"],
  ];
  const ratios: Record<string, number> = {};
  for (const [name, a, b] of wanted) {
    const x = ratio(a, b);
    if (x !== undefined) ratios[name] = x;
  }
  return { n, rounds, medians, perRound, ratios, ...(torchMissing ? { torchMissing } : {}) };
}

/** Lines for a report. */
export function headlineLines(h: Headline): string[] {
  return [
    `headline: AdamW ${h.n.toExponential(0)} float32 params, ${h.rounds} interleaved rounds (ceiling, momenta, PyTorch), medians (M params/s):`,
    `  ${Object.entries(h.medians)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(", ")}`,
    `  ratios (median of per-round): ${Object.entries(h.ratios)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(", ")}`,
    ...(h.torchMissing ? [`  PyTorch missing: ${h.torchMissing}`] : []),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const h = await headline({
    rounds: flag("--rounds"),
    n: flag("--n"),
    onProgress: (l) => process.stderr.write(`${l}\n`),
  });
  console.log(headlineLines(h).join("\n"));
  console.log(JSON.stringify({ medians: h.medians, ratios: h.ratios }));
}
