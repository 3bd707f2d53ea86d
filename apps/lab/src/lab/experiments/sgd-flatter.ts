/**
 * Does SGD end in flatter minima than AdamW? The same MLP is trained on the same digits by SGD with
 * momentum and by AdamW until the full-batch training loss first reaches the same target; at each
 * solution the trace of the training loss's Hessian is estimated by Hutchinson's method
 * (`hessianTrace`), its Hessian-vector products by central differences of TF.js gradients
 * (`finiteDifferenceHvp`), and test accuracy is measured.
 */

import type { AnyTransformation, Tree } from "momenta-optim";
import { adamw, finiteDifferenceHvp, hessianTrace, sgd } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { type Experiment, type ExperimentResult, type Mode, seedsFor } from "../experiment.ts";
import { mean, sig } from "../measure/stats.ts";
import { bars, lines } from "../plot/index.ts";
import { batchOrder, evaluate, Mlp, trainStep } from "../problems/mlp.ts";
import { CLASSES, digitTensors, disposeDigits, labBackend, mnistSplit, PIXELS } from "../problems/mnist.ts";

const SIZES: Record<
  Mode,
  {
    train: number;
    test: number;
    hidden: number;
    target: number;
    maxEpochs: number;
    probes: number;
    seeds: number;
  }
> = {
  smoke: { train: 200, test: 100, hidden: 8, target: 1.5, maxEpochs: 2, probes: 3, seeds: 1 },
  quick: { train: 1000, test: 1000, hidden: 32, target: 0.1, maxEpochs: 60, probes: 20, seeds: 1 },
  full: { train: 2000, test: 1000, hidden: 32, target: 0.03, maxEpochs: 100, probes: 60, seeds: 1 },
};
const BATCH = 64;
/** Check the full-batch training loss every this many steps (so both stop within a few steps of the target). */
const CHECK_EVERY = 8;
const OPTIMIZERS: { name: "SGD" | "AdamW"; tx: () => AnyTransformation; text: string }[] = [
  { name: "SGD", tx: () => sgd({ lr: 0.01, momentum: 0.9 }), text: "SGD (lr 0.01, momentum 0.9)" },
  { name: "AdamW", tx: () => adamw({ lr: 1e-3, weightDecay: 0.01 }), text: "AdamW (lr 1e-3, λ 0.01)" },
];

export interface FlatnessMeasurements {
  /** Per seed, tr(H) at SGD's and at AdamW's solution. */
  sgdTrace: number[];
  adamwTrace: number[];
  /** Whether every run reached the target training loss. */
  reached: boolean;
  /** Mean ‖θ‖ of the solutions (tr(H) depends on the weights' scale), reported in the reason. */
  sgdNorm?: number;
  adamwNorm?: number;
}

/**
 * Holds when SGD's trace is smaller in every seed and the geometric mean of SGD/AdamW is ≤ 0.8; does
 * not hold otherwise (the reason says which way it leans). 0.8: with these probe counts Hutchinson's
 * standard error (reported per run) is a few per cent of the trace, so a 20 % gap is well beyond
 * twice it, and a flatness difference smaller than that would not be the "flatter basin" the seed
 * describes. When a run misses the target loss the comparison is not at equal loss, which the reason
 * states.
 */
export function judgeFlatness(m: FlatnessMeasurements): ExperimentResult["judgement"] {
  const ratios = m.sgdTrace.map((s, i) => s / m.adamwTrace[i]!);
  const gm = Math.exp(mean(ratios.map(Math.log)));
  const all = ratios.every((r) => r < 1);
  const nums = `tr(H) SGD/AdamW = ${sig(gm, 3)} (geometric mean over ${ratios.length} seed${ratios.length > 1 ? "s" : ""}; per seed ${ratios.map((r) => sig(r, 2)).join(", ")}), mean tr(H) SGD ${sig(mean(m.sgdTrace), 3)} vs AdamW ${sig(mean(m.adamwTrace), 3)}`;
  const norms =
    m.sgdNorm !== undefined && m.adamwNorm !== undefined
      ? `; weight norms ${sig(m.sgdNorm, 3)} (SGD) vs ${sig(m.adamwNorm, 3)} (AdamW)`
      : "";
  const caveat = `${norms}${m.reached ? "" : "; not every run reached the target loss, so the losses differ"}`;
  const deciding = {
    label: "tr(H) SGD/AdamW, geometric mean over seeds",
    value: gm,
    threshold: "≤ 0.8 in every seed",
  };
  if (gm <= 0.8 && all)
    return {
      verdict: "holds",
      reason: `${nums}: SGD's minimum is flatter in every seed${caveat}.`,
      deciding,
    };
  // Evidence against: AdamW's minimum flatter by the same margin in every seed. In between, the
  // test resolves no 20 % difference either way: inconclusive, not "does not hold".
  if (gm >= 1.25 && ratios.every((r) => r > 1))
    return {
      verdict: "does not hold",
      reason: `${nums}: AdamW's minimum is the flatter one in every seed${caveat}.`,
      deciding,
    };
  return {
    verdict: "inconclusive",
    reason: `${nums}: no consistent difference of 20 % either way (the smallest this test counts, beyond twice Hutchinson's standard error)${caveat}.`,
    deciding,
  };
}

function norm(values: readonly Float32Array[]): number {
  let s = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

export const experiment: Experiment = {
  id: "sgd-flatter",
  title: "SGD's minima are flatter (Hessian trace)",
  claim:
    "Even when both reach equally low training loss, SGD tends to settle in flatter, wider minima than AdamW, as measured by the trace of the Hessian at the solution — a proposed reason it often generalizes better.",
  problemIds: ["3169319", "3135733"],
  cost: 20,
  fullCost: 100,
  async run(ctx) {
    const size = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, size.seeds);
    const backend = await labBackend();
    const split = mnistSplit(size.train, size.test);
    const train = digitTensors(split.train);
    const test = digitTensors(split.test);
    type Run = {
      steps: number;
      reached: boolean;
      trainLoss: number;
      curve: { step: number; loss: number }[];
      trace: number;
      stderr: number | null;
      testAccuracy: number;
      weightNorm: number;
    };
    const runs: Record<"SGD" | "AdamW", Run[]> = { SGD: [], AdamW: [] };
    let done = 0;
    try {
      for (const seed of seeds) {
        for (const o of OPTIMIZERS) {
          const net = new Mlp({ sizes: [PIXELS, size.hidden, CLASSES], activation: "relu", seed });
          const opt = tfjsOptimizer(o.tx());
          try {
            const curve: { step: number; loss: number }[] = [];
            const fullLoss = () => evaluate(net, train).loss;
            curve.push({ step: 0, loss: fullLoss() });
            let step = 0;
            let reached = false;
            for (const idx of batchOrder(train.size, BATCH, size.maxEpochs, seed + 7)) {
              trainStep(net, opt, train, idx);
              step++;
              if (step % CHECK_EVERY === 0) {
                const loss = fullLoss();
                curve.push({ step, loss });
                if (loss <= size.target) {
                  reached = true;
                  break;
                }
              }
            }
            const values = net.values();
            const trainLoss = fullLoss();
            const tree = net.tree(values);
            // The data loss's Hessian (no decay term), over the whole training set.
            const grad = (p: Tree) =>
              net.tree(
                net.gradientAt(
                  net.names.map((n) => (p as Record<string, { data: Float32Array }>)[n]!.data),
                  train.x,
                  train.y,
                ),
              );
            const h = hessianTrace(finiteDifferenceHvp(grad, tree), tree, {
              samples: size.probes,
              seed: seed + 11,
            });
            runs[o.name].push({
              steps: step,
              reached,
              trainLoss,
              curve,
              trace: h.trace,
              stderr: h.stderr,
              testAccuracy: evaluate(net, test).accuracy,
              weightNorm: norm(values),
            });
          } finally {
            opt.dispose();
            net.dispose();
          }
          ctx.progress(++done / (seeds.length * OPTIMIZERS.length), `seed ${seed}: ${o.name}`);
        }
      }
    } finally {
      disposeDigits(train, test);
    }
    const m: FlatnessMeasurements = {
      sgdTrace: runs.SGD.map((r) => r.trace),
      adamwTrace: runs.AdamW.map((r) => r.trace),
      reached: [...runs.SGD, ...runs.AdamW].every((r) => r.reached),
      sgdNorm: mean(runs.SGD.map((r) => r.weightNorm)),
      adamwNorm: mean(runs.AdamW.map((r) => r.weightNorm)),
    };
    const judgement = judgeFlatness(m);
    const per = (name: "SGD" | "AdamW") => ({
      trace: runs[name].map((r) => sig(r.trace, 4)),
      traceStderr: runs[name].map((r) => (r.stderr === null ? null : sig(r.stderr, 3))),
      trainLoss: runs[name].map((r) => sig(r.trainLoss, 4)),
      steps: runs[name].map((r) => r.steps),
      reachedTarget: runs[name].map((r) => r.reached),
      testAccuracy: runs[name].map((r) => sig(r.testAccuracy, 4)),
      weightNorm: runs[name].map((r) => sig(r.weightNorm, 4)),
    });
    const gm = Math.exp(mean(m.sgdTrace.map((s, i) => Math.log(s / m.adamwTrace[i]!))));
    return {
      setup: `${ctx.mode} mode on TF.js's ${backend} backend: MLP 784 → ${size.hidden} ReLU → 10 (Glorot-uniform, seeded), cross-entropy, ${size.train} MNIST training digits, ${size.test} test digits, minibatches of ${BATCH}. ${OPTIMIZERS.map((o) => o.text).join(" and ")} from the same initial weights and batch order, each stopped when the full-batch training loss (checked every ${CHECK_EVERY} steps) first reaches ${size.target} (at most ${size.maxEpochs} epochs). tr(H) of the full-batch training cross-entropy (no decay term) by Hutchinson with ${size.probes} Rademacher probes; H·v by central differences of TF.js gradients in float32 (ε = ∛(2⁻²³)·(1 + ‖θ‖)/‖v‖, the default of finiteDifferenceHvp; a ReLU net's Hessian is piecewise, so this is curvature smoothed over that scale). ${seeds.length} seed${seeds.length > 1 ? "s" : ""}. Note: tr(H) is not invariant to rescaling ReLU layers (W₁·α, W₂/α), so the weight norms are reported beside it.`,
      metrics: {
        traceRatioSgdOverAdamw: sig(gm, 4),
        SGD: per("SGD"),
        AdamW: per("AdamW"),
        allReachedTarget: m.reached,
      },
      keyNumber: `tr(H) SGD/AdamW = ${sig(gm, 3)} at train loss ${size.target}`,
      judgement,
      figures: [
        {
          title: "Hessian trace at the solution",
          caption:
            "Hutchinson estimate of tr(H) per seed at the point where each optimizer first reached the target training loss; error bars ±2 standard errors of the probes. Lower is flatter.",
          spec: bars({
            categoryLabel: "seed",
            y: { label: "tr(H) of the training loss" },
            bars: seeds.flatMap((seed, i) =>
              OPTIMIZERS.map((o) => {
                const r = runs[o.name][i]!;
                const e = 2 * (r.stderr ?? 0);
                return {
                  category: String(seed),
                  group: o.name,
                  value: r.trace,
                  lo: r.trace - e,
                  hi: r.trace + e,
                };
              }),
            ),
          }),
        },
        {
          title: "Training loss until the target",
          caption: `Full-batch training loss (log) for each run; the dashed line is the target ${size.target} at which the trace is measured. Both optimizers must reach it for the comparison to be at equal loss.`,
          spec: lines({
            x: { label: "step" },
            y: { label: "full-batch training loss", log: true },
            series: OPTIMIZERS.flatMap((o) =>
              runs[o.name].map((r, i) => ({
                name: `${o.name} seed ${seeds[i]}`,
                x: r.curve.map((c) => c.step),
                y: r.curve.map((c) => c.loss),
              })),
            ),
            rules: [{ y: size.target, label: "target" }],
          }),
        },
        {
          title: "Test accuracy at the solution",
          caption: "Held-out accuracy at the same points; error bars: range over seeds.",
          spec: bars({
            categoryLabel: "optimizer",
            y: { label: "test accuracy" },
            bars: OPTIMIZERS.map((o) => {
              const a = runs[o.name].map((r) => r.testAccuracy);
              return { category: o.name, value: mean(a), lo: Math.min(...a), hi: Math.max(...a) };
            }),
          }),
        },
      ],
      seeds,
    };
  },
};
