/**
 * `npx tsx --conditions=momenta-source tools/bench/observe.ts`: what `observe` costs. Per-step time of adamw (lr 1e-3, weightDecay 0.01)
 * on a 1e6-parameter float32 tree, plain vs wrapped in `observe(…, { every: 10 })` — both on the
 * reference chain, since an observed optimizer is never fused (the fused kernels cannot call back
 * between links). A run is 10 steps, so it holds exactly one report; plain and observed runs alternate
 * (ABBA, to cancel drift), and the ratio is median(observed)/median(plain) over the runs (default 21,
 * at least 5). The budget is a ratio ≤ 1.05.
 *
 * Time is the process's CPU time (`process.cpuUsage`, user + system), which other processes competing
 * for the cores do not inflate the way they inflate wall-clock time; the wall-clock ratio is printed
 * too. Also printed: the per-run ratios, the cost of one reporting step, observe with `vScar` (an
 * extra pass over the gradient every step), and plain adamw on the fused JS kernel.
 * Flags: --runs N, --check (exit 1 when the ratio is over 1.05), --json (one JSON line instead).
 */
import { adamw, createOptimizer, leavesOf, type OptimizerStats, observe, type Tree } from "momenta-optim";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const RUNS = Math.max(5, runsAt >= 0 ? Number(args[runsAt + 1]) : 21);
const STEPS = 10; // one report per run
const BUDGET = 1.05;

/** Three float32 leaves, 1,000,000 values: a 600×1000 matrix, a bias, a 1000×399 matrix. */
function makeParams(): Tree {
  const leaf = (n: number, shape: number[], seed: number) => {
    const data = new Float32Array(n);
    for (let j = 0; j < n; j++) data[j] = Math.sin(seed * 7919 + j) * 0.5;
    return { data, shape };
  };
  return { w1: leaf(600_000, [600, 1000], 1), b1: leaf(1000, [1000], 2), w2: leaf(399_000, [1000, 399], 3) };
}

type Variant = "plain" | "observe" | "observe+vScar" | "plain-js";
interface Timing {
  cpu: number;
  wall: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function makeStepper(variant: Variant) {
  const params = makeParams();
  let sink = 0;
  const onStats = (s: OptimizerStats) => {
    sink += s.gradNorm; // keep the report alive
  };
  const tx = adamw({ lr: 1e-3, weightDecay: 0.01 });
  const opt =
    variant === "plain" || variant === "plain-js"
      ? createOptimizer(tx, params, { kernel: variant === "plain" ? "reference" : "js" })
      : createOptimizer(observe(tx, onStats, { every: 10, vScar: variant === "observe+vScar" }), params);
  const grads = leavesOf(opt.grads);
  const fill = () => {
    for (const g of grads) for (let j = 0; j < g.length; j++) g[j] = Math.cos(j) * 0.01;
  };
  // Like bench/momenta.ts: the reference chain turns its gradient buffer into the update, and the
  // values do not change the cost; refilling (untimed) before each run keeps them ordinary numbers.
  return {
    /** Per-step CPU and wall time over `steps` steps. */
    run(steps: number): Timing {
      fill();
      const c0 = cpuMs();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) opt.step(opt.grads);
      return { wall: (performance.now() - t0) / steps, cpu: (cpuMs() - c0) / steps };
    },
    get sink() {
      return sink;
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const variants: Variant[] = ["plain", "observe", "observe+vScar", "plain-js"];
const steppers = Object.fromEntries(variants.map((v) => [v, makeStepper(v)])) as Record<
  Variant,
  ReturnType<typeof makeStepper>
>;
for (const v of variants) steppers[v].run(20); // warm-up (JIT), a multiple of every
const times = Object.fromEntries(variants.map((v) => [v, [] as Timing[]])) as Record<Variant, Timing[]>;
for (let r = 0; r < RUNS; r++) {
  for (const v of r % 2 ? [...variants].reverse() : variants) times[v].push(steppers[v].run(STEPS));
}
const med = (v: Variant, k: keyof Timing) => median(times[v].map((t) => t[k]));
const ratio = med("observe", "cpu") / med("plain", "cpu");
const wallRatio = med("observe", "wall") / med("plain", "wall");
// Per-run ratios: each pair ran back to back.
const ratios = times.observe.map((t, i) => t.cpu / times.plain[i]!.cpu);

// One reporting step alone (CPU time), against one plain step.
const one = makeStepper("observe");
one.run(19); // the next step is the 20th: a report
const reportCosts: number[] = [];
for (let r = 0; r < RUNS; r++) {
  reportCosts.push(one.run(1).cpu); // reports
  one.run(9);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const result = {
  params: 1_000_000,
  dtype: "float32",
  every: 10,
  runs: RUNS,
  stepsPerRun: STEPS,
  clock: "cpu",
  msPerStep: Object.fromEntries(variants.map((v) => [v, round(med(v, "cpu"))])),
  ratio: round(ratio),
  ratioPerRun: {
    min: round(Math.min(...ratios)),
    median: round(median(ratios)),
    max: round(Math.max(...ratios)),
  },
  wallRatio: round(wallRatio),
  reportingStepMs: round(median(reportCosts)),
  vScarRatio: round(med("observe+vScar", "cpu") / med("plain", "cpu")),
  budget: BUDGET,
  withinBudget: ratio <= BUDGET,
};
if (args.includes("--json")) console.log(JSON.stringify(result));
else {
  const f = (x: number) => x.toFixed(2);
  const r3 = (x: number) => x.toFixed(3);
  const ms = (v: Variant) => f(med(v, "cpu"));
  console.log(
    `observe overhead: adamw, 1e6 float32 params, every 10, CPU time, median of ${RUNS} runs × ${STEPS} steps`,
  );
  console.log(`  plain adamw (reference chain)  ${ms("plain")} ms/step`);
  console.log(
    `  observe(adamw, …, every 10)    ${ms("observe")} ms/step   ratio ${r3(ratio)} (budget ≤ ${BUDGET}) ${result.withinBudget ? "OK" : "OVER"}`,
  );
  console.log(
    `    per-run ratios: min ${r3(Math.min(...ratios))}, median ${r3(median(ratios))}, max ${r3(Math.max(...ratios))}; wall-clock ratio ${r3(wallRatio)}`,
  );
  console.log(`    one reporting step: ${f(result.reportingStepMs)} ms (a plain step: ${ms("plain")} ms)`);
  console.log(
    `  info: with vScar (a pass over g every step): ${ms("observe+vScar")} ms/step, ratio ${r3(result.vScarRatio)}`,
  );
  console.log(
    `  info: plain adamw on the fused JS kernel: ${ms("plain-js")} ms/step (observe runs the reference chain)`,
  );
}
if (steppers.plain.sink + steppers.observe.sink < 0) console.log(""); // never: keeps the sinks read
if (args.includes("--check") && !result.withinBudget) process.exitCode = 1;
