/**
 * pinn — the seed (000) presents AdamW, Adam with decoupled weight decay, as the robust tool that
 * lets scientific computing train physics-informed neural networks.
 *
 * Problem (src/lab/problems/pinn.ts): u″ = −π² sin(πx) on [0, 1], u(0) = u(1) = 0, exact solution
 * sin(πx); a 1-H-H-1 tanh network, u″ by forward-mode propagation inside the TF.js graph, loss =
 * mean squared residual at seeded collocation points + boundary penalty. Every optimizer runs the same
 * cosine-annealed lr (peak 1e-2 → 0) from the same seeded weights and points; AdamW at several λ,
 * against plain Adam (λ = 0, which is what AdamW without decay is) and Adam with L2 in the gradient.
 * The error is measured against sin(πx) on 201 points (max and RMS).
 */

import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";
import { adam, adamw, cosineAnnealingLr, type Optimizer } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import type { Experiment, ExperimentResult, Judgement, Mode } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { median, quantile, seedBand, sig } from "../measure/stats.ts";
import { bars, lines } from "../plot/index.ts";
import { collocationPoints, exactSolution, pinnData, pinnLoss, solutionError } from "../problems/pinn.ts";
import { minimizeStep, tanhNet } from "../problems/tanh-net.ts";

const PEAK_LR = 1e-2;

interface Config {
  name: string;
  kind: "adam" | "adam-l2" | "adamw";
  weightDecay: number;
  make(lr: number | ((t: number) => number)): Optimizer;
}

const CONFIGS: Config[] = [
  { name: "Adam (no decay)", kind: "adam", weightDecay: 0, make: (lr) => adam({ lr }) },
  {
    name: "Adam + L2 λ=0.01",
    kind: "adam-l2",
    weightDecay: 0.01,
    make: (lr) => adam({ lr, weightDecay: 0.01 }),
  },
  { name: "AdamW λ=0.01", kind: "adamw", weightDecay: 0.01, make: (lr) => adamw({ lr, weightDecay: 0.01 }) },
  { name: "AdamW λ=0.1", kind: "adamw", weightDecay: 0.1, make: (lr) => adamw({ lr, weightDecay: 0.1 }) },
  { name: "AdamW λ=1", kind: "adamw", weightDecay: 1, make: (lr) => adamw({ lr, weightDecay: 1 }) },
];

interface Sizes {
  hidden: number;
  points: number;
  steps: number;
  seeds: number;
  configs: number;
}

const SIZES: Record<Mode, Sizes> = {
  smoke: { hidden: 6, points: 8, steps: 30, seeds: 1, configs: 3 },
  quick: { hidden: 16, points: 32, steps: 800, seeds: 3, configs: 4 },
  full: { hidden: 20, points: 64, steps: 3000, seeds: 3, configs: 5 },
};

/** A run "solves" the problem when its max error is at most this: 1 % of the solution's amplitude. */
export const SOLVED_MAX_ERROR = 1e-2;

export interface PinnMeasurement {
  name: string;
  kind: Config["kind"];
  weightDecay: number;
  /** Max |u − sin πx| per seed (NaN when the run went non-finite). */
  maxErrors: number[];
}

/**
 * The verdict. The claim is that AdamW is a robust way to train a PINN; its seed credits the
 * decoupled decay. Thresholds: a run is solved at max error ≤ 1 % of the amplitude (SOLVED_MAX_ERROR,
 * well above the 1e-3…1e-4 such small PINNs reach, so only real failures miss it); "robust" = ≥ 80 %
 * of seeds solved (one unlucky seed of five is tolerated); two optimizers differ when their median
 * errors differ by ≥ 2× (seed-to-seed spread of the max error is about that large, so less is noise).
 */
export function judgePinn(ms: readonly PinnMeasurement[]): Judgement {
  const adamRun = ms.find((m) => m.kind === "adam");
  const adamws = ms.filter((m) => m.kind === "adamw").sort((a, b) => a.weightDecay - b.weightDecay);
  if (!adamRun || adamws.length === 0) throw new Error("judgePinn: needs Adam and at least one AdamW run");
  const solvedShare = (m: PinnMeasurement) =>
    m.maxErrors.filter((e) => e <= SOLVED_MAX_ERROR).length / m.maxErrors.length;
  const med = (m: PinnMeasurement) => {
    const finite = m.maxErrors.map((e) => (Number.isFinite(e) ? e : Infinity));
    return median(finite);
  };
  const adamMed = med(adamRun);
  const describe = (m: PinnMeasurement) =>
    `${m.name}: ${Math.round(solvedShare(m) * 100)} % of seeds solved, median max error ${sig(med(m), 2)}`;
  const summary = `${adamws.map(describe).join("; ")}; Adam without decay: median ${sig(adamMed, 2)}`;
  const robust = (m: PinnMeasurement) => solvedShare(m) >= 0.8;
  const good = (m: PinnMeasurement) => robust(m) && med(m) / adamMed < 2;
  // The λ range that works is read from the smallest λ up: decay only grows its pull toward zero.
  const prefix = (ok: (m: PinnMeasurement) => boolean) => {
    const i = adamws.findIndex((m) => !ok(m));
    return i === -1 ? adamws : adamws.slice(0, i);
  };
  const goodPrefix = prefix(good);
  const robustPrefix = prefix(robust);
  const base = adamws[0]!;
  const ratio = med(base) / adamMed;
  // Nearest its line in practice (≈ 2 in quick runs): whether AdamW at its gentlest decay matches Adam
  // sets the λ range the verdict names; the solved shares clear 80 % or miss it by far. Finite for
  // the report: a diverged AdamW caps it, both diverged (∞/∞) count as equal.
  const deciding = {
    label: "AdamW at its smallest λ / Adam, median max error (capped at 1000; 1 if both diverged)",
    value: Number.isNaN(ratio) ? 1 : Math.min(ratio, 1000),
    threshold: "< 2 (with ≥ 80 % of seeds solved) for AdamW to match Adam",
  };
  if (goodPrefix.length === adamws.length) {
    const effect =
      ratio <= 0.5
        ? `decoupled decay improved on Adam (${sig(ratio, 2)}× its error at λ = ${base.weightDecay})`
        : `decoupled decay neither helped nor hurt beyond 2× (AdamW/Adam error ratio ${sig(ratio, 2)} at λ = ${base.weightDecay})`;
    return {
      verdict: "holds",
      reason: `AdamW trains the PINN at every λ tried; ${effect}. ${summary}.`,
      deciding,
    };
  }
  if (goodPrefix.length > 0) {
    const lam = goodPrefix[goodPrefix.length - 1]!.weightDecay;
    return {
      verdict: `holds only when λ ≤ ${lam}`,
      reason: `AdamW solves the PINN on ≥ 80 % of seeds, within 2× of Adam's error, up to λ = ${lam}; larger decay costs accuracy or robustness (${summary}).`,
      deciding,
    };
  }
  if (robustPrefix.length > 0) {
    const lam = robustPrefix[robustPrefix.length - 1]!.weightDecay;
    return {
      verdict: `holds only when λ ≤ ${lam}`,
      reason: `AdamW solves the PINN (≥ 80 % of seeds within max error ${SOLVED_MAX_ERROR}) up to λ = ${lam}, but ≥ 2× less accurately than Adam without decay: the decay is a cost here (${summary}).`,
      deciding,
    };
  }
  return {
    verdict: "does not hold",
    reason: `AdamW at its smallest λ solved fewer than 80 % of seeds to max error ≤ ${SOLVED_MAX_ERROR} (${summary}).`,
    deciding,
  };
}

interface Run {
  losses: number[];
  max: number;
  l2: number;
  u: Float32Array;
}

function trainOne(config: Config, s: Sizes, seed: number): Run {
  const net = tanhNet([1, s.hidden, s.hidden, 1], seed);
  const data = pinnData(collocationPoints(s.points, seed ^ 0x5eed));
  const schedule = cosineAnnealingLr({ lr: PEAK_LR, tMax: s.steps });
  const opt = tfjsOptimizer(config.make(schedule));
  const losses: number[] = [];
  for (let t = 0; t < s.steps; t++) {
    const l = minimizeStep(opt, () => pinnLoss(net, data), net.variables);
    losses.push(l);
    if (!Number.isFinite(l)) break;
  }
  const err = solutionError(net);
  opt.dispose();
  net.dispose();
  data.dispose();
  return { losses, ...err };
}

export const experiment: Experiment = {
  id: "pinn",
  title: "AdamW for a physics-informed network",
  claim:
    "AdamW's refined mechanism (weight decay decoupled from the adaptive step) makes it a robust, indispensable tool for hard scientific-computing problems such as training physics-informed neural networks.",
  problemIds: ["000"],
  cost: 20,
  fullCost: 78,
  async run(ctx): Promise<ExperimentResult> {
    const { backend } = await useBackend("wasm");
    const s = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, s.seeds);
    const configs = CONFIGS.slice(0, s.configs);
    const runs = new Map<string, Run[]>();
    let done = 0;
    const startTensors = tf.memory().numTensors;
    for (const c of configs) {
      const rs: Run[] = [];
      for (const seed of seeds) {
        rs.push(trainOne(c, s, seed));
        ctx.progress(++done / (configs.length * seeds.length), `${c.name}, seed ${seed}`);
      }
      runs.set(c.name, rs);
    }
    const leaked = tf.memory().numTensors - startTensors;

    const measurements: PinnMeasurement[] = configs.map((c) => ({
      name: c.name,
      kind: c.kind,
      weightDecay: c.weightDecay,
      maxErrors: runs.get(c.name)!.map((r) => r.max),
    }));
    const judgement = judgePinn(measurements);
    const nullable = (x: number) => (Number.isFinite(x) ? sig(x) : null);
    const perConfig: Record<
      string,
      { maxError: (number | null)[]; l2Error: (number | null)[]; finalLoss: (number | null)[] }
    > = {};
    for (const c of configs) {
      const rs = runs.get(c.name)!;
      perConfig[c.name] = {
        maxError: rs.map((r) => nullable(r.max)),
        l2Error: rs.map((r) => nullable(r.l2)),
        finalLoss: rs.map((r) => nullable(r.losses[r.losses.length - 1]!)),
      };
    }
    const medianOf = (name: string, key: "max" | "l2") => {
      const v = runs.get(name)!.map((r) => (Number.isFinite(r[key]) ? r[key] : Infinity));
      return median(v);
    };
    const adamw01 = configs.find((c) => c.kind === "adamw")!.name;

    // Loss curves: pad a run stopped by a non-finite loss so the bands stay rectangular.
    const curve = (r: Run) =>
      Array.from({ length: s.steps }, (_, t) => r.losses[Math.min(t, r.losses.length - 1)] ?? Number.NaN);
    const steps = Array.from({ length: s.steps }, (_, t) => t + 1);
    const lossFigure = lines({
      x: { label: "step" },
      y: { label: "PINN loss (residual² + boundary)", log: true },
      series: configs.map((c) => {
        const band = seedBand(runs.get(c.name)!.map(curve));
        return { name: c.name, x: steps, y: band.mean, lo: band.lo, hi: band.hi };
      }),
    });
    const errorBars = bars({
      categoryLabel: "optimizer",
      y: { label: "max |u − sin πx| (median, range over seeds)", log: true },
      bars: configs.map((c) => {
        const v = runs.get(c.name)!.map((r) => (Number.isFinite(r.max) ? r.max : Infinity));
        return { category: c.name, value: median(v), lo: quantile(v, 0), hi: quantile(v, 1) };
      }),
    });
    const grid = Array.from({ length: 201 }, (_, i) => i / 200);
    const profile = lines({
      x: { label: "x" },
      y: { label: "u(x) − sin(πx) (first seed)" },
      series: configs.map((c) => ({
        name: c.name,
        x: grid,
        y: Array.from(runs.get(c.name)![0]!.u, (u, i) => u - exactSolution(grid[i]!)),
      })),
      rules: [{ y: 0, label: "exact" }],
    });

    return {
      setup:
        `${ctx.mode} mode: u″ = −π² sin(πx) on [0, 1], u(0) = u(1) = 0 (exact sin πx). Network 1-${s.hidden}-${s.hidden}-1 tanh, ` +
        `weights N(0, 1/fan_in) from each seed; ${s.points} seeded collocation points; loss = mean residual² + (u(0)² + u(1)²). ` +
        `${s.steps} full-batch steps, lr cosine-annealed from ${PEAK_LR} to 0, same for all; optimizers: ${configs.map((c) => c.name).join(", ")}; ` +
        `${seeds.length} seeds. TF.js ${backend} backend (float32), momenta optimizers through momenta/tfjs. ` +
        `Error on 201 equally spaced points; "solved" = max error ≤ ${SOLVED_MAX_ERROR}.`,
      metrics: {
        perConfig,
        medianMaxError: Object.fromEntries(configs.map((c) => [c.name, nullable(medianOf(c.name, "max"))])),
        medianL2Error: Object.fromEntries(configs.map((c) => [c.name, nullable(medianOf(c.name, "l2"))])),
        adamwOverAdamErrorRatio: nullable(medianOf(adamw01, "max") / medianOf(CONFIGS[0]!.name, "max")),
        backend,
        leakedTensors: leaked,
      },
      keyNumber: `median max error: AdamW λ=0.01 ${sig(medianOf(adamw01, "max"), 2)} vs Adam ${sig(medianOf(CONFIGS[0]!.name, "max"), 2)}`,
      judgement,
      figures: [
        {
          title: "Max error against the exact solution",
          caption:
            "Median over seeds of max |u − sin πx| (bars: min–max over seeds), log scale. Compare AdamW at each λ with Adam without decay: equal heights mean the decoupled decay neither helps nor hurts; taller AdamW bars at large λ show decay pulling the solution toward zero.",
          spec: errorBars,
        },
        {
          title: "Training loss",
          caption:
            "PINN loss per step, mean over seeds with the 10–90 % band, log scale. All share the same cosine lr; curves that flatten early are held up by their weight decay.",
          spec: lossFigure,
        },
        {
          title: "Pointwise error of the learned solution",
          caption:
            "u_θ(x) − sin(πx) for the first seed: where along [0, 1] each optimizer's solution is off (the boundary values are only penalized, not imposed).",
          spec: profile,
        },
      ],
      seeds,
    };
  },
};
