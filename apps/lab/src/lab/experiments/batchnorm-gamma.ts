/**
 * Batch normalization's scale γ and the upstream step. In x → W₁ → BN → ×γ → ReLU → W₂ → softmax, the
 * gradient reaching W₁ is multiplied by γ (∂L/∂W₁ = γ·∂L/∂(γ·n)·∂n/∂W₁): plain SGD's step on W₁ scales
 * with γ, while RMSprop and Adam divide by √v, which scales with γ too. γ is held fixed at 0.1, 1 and
 * 10 and the step of W₁ measured for each optimizer.
 */

import type { AnyTransformation } from "momenta-optim";
import { adam, rmsprop, sgd } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { type Experiment, type ExperimentResult, type Mode, seedsFor } from "../experiment.ts";
import { loglogSlope, mean, sig } from "../measure/stats.ts";
import { bars, lines } from "../plot/index.ts";
import { distance, norm } from "../problems/least-squares.ts";
import { batchOrder, Mlp, trainStep } from "../problems/mlp.ts";
import { CLASSES, digitTensors, disposeDigits, labBackend, mnistSplit, PIXELS } from "../problems/mnist.ts";

const SIZES: Record<Mode, { train: number; steps: number; hidden: number; seeds: number }> = {
  smoke: { train: 200, steps: 3, hidden: 8, seeds: 1 },
  quick: { train: 2000, steps: 60, hidden: 32, seeds: 2 },
  full: { train: 4000, steps: 300, hidden: 32, seeds: 2 },
};
const GAMMAS = [0.1, 1, 10];
const BATCH = 64;
/** Customary learning rates for an MNIST MLP: 0.1 for plain SGD, 1e-3 for RMSprop and Adam. */
const OPTIMIZERS: { name: string; tx: () => AnyTransformation }[] = [
  { name: "SGD", tx: () => sgd({ lr: 0.1 }) },
  { name: "RMSprop", tx: () => rmsprop({ lr: 1e-3 }) },
  { name: "Adam", tx: () => adam({ lr: 1e-3 }) },
];

export interface GammaMeasurements {
  /** Per optimizer, the log-log slope of W₁'s mean relative step ‖ΔW₁‖/‖W₁‖ against γ. */
  slopes: Record<string, number>;
  /** The same slopes for the very first step (same weights and batch for every γ), reported alongside. */
  firstSlopes?: Record<string, number>;
}

/**
 * The prediction: slope 1 for SGD (step ∝ γ), 0 for the adaptive ones. SGD "feels" γ when its slope
 * is ≥ 0.5 (closer to 1 than to 0). An adaptive optimizer cancels γ when |slope| ≤ 0.25: its step
 * then changes by less than 10^0.5 ≈ 3× across the 100× range of γ, against 100× for a slope of 1.
 */
export function judgeGamma(m: GammaMeasurements): ExperimentResult["judgement"] {
  const s = (n: string) => `${n} ${sig(m.slopes[n]!, 2)}`;
  const names = Object.keys(m.slopes);
  const adaptive = names.filter((n) => n !== "SGD");
  const cancels = adaptive.filter((n) => Math.abs(m.slopes[n]!) <= 0.25);
  const first = m.firstSlopes
    ? `; first step alone: ${names.map((n) => `${n} ${sig(m.firstSlopes![n]!, 2)}`).join(", ")}`
    : "";
  const nums = `slopes of log(‖ΔW₁‖/‖W₁‖) vs log γ over the run: ${names.map(s).join(", ")} (prediction: SGD 1, adaptive 0)${first}`;
  // A slope is non-finite only if a step was 0 or NaN at some γ: counted as 99 (fails either test).
  const finite = (x: number) => (Number.isFinite(x) ? x : 99);
  // SGD's slope sits nearest its threshold in practice (0.5–0.6 against 0.5; adaptive |slopes| ≤ 0.12
  // against 0.25): it decides unless an adaptive optimizer fails.
  const sgdDeciding = {
    label: "SGD's slope of log W₁-step vs log γ (non-finite: 99)",
    value: finite(m.slopes.SGD!),
    threshold: "≥ 0.5, with every adaptive |slope| ≤ 0.25",
  };
  const adaptiveDeciding = {
    label: "largest |slope| of log W₁-step vs log γ among the adaptive optimizers (non-finite: 99)",
    value: finite(Math.max(0, ...adaptive.map((n) => Math.abs(m.slopes[n]!)))),
    threshold: "≤ 0.25 for each",
  };
  // Written so a NaN slope fails too.
  if (!(m.slopes.SGD! >= 0.5)) {
    return {
      verdict: "does not hold",
      reason: `${nums}: SGD's step does not follow γ (slope < 0.5).`,
      deciding: sgdDeciding,
    };
  }
  if (cancels.length === adaptive.length) {
    return {
      verdict: "holds",
      reason: `${nums}: SGD follows γ, every adaptive step stays within |slope| ≤ 0.25.`,
      deciding: sgdDeciding,
    };
  }
  if (cancels.length > 0) {
    return {
      verdict: `holds only when the optimizer is ${cancels.join(" or ")}`,
      reason: `${nums}: ${adaptive.filter((n) => !cancels.includes(n)).join(", ")} ha${adaptive.length - cancels.length > 1 ? "ve" : "s"} |slope| > 0.25.`,
      deciding: adaptiveDeciding,
    };
  }
  return {
    verdict: "does not hold",
    reason: `${nums}: no adaptive optimizer keeps |slope| ≤ 0.25.`,
    deciding: adaptiveDeciding,
  };
}

export const experiment: Experiment = {
  id: "batchnorm-gamma",
  title: "BatchNorm's γ and the upstream step",
  claim:
    "BatchNorm's scale γ directly rescales the gradients of the weights before it, so for a fixed-learning-rate optimizer it changes the effective step size; adaptive methods such as RMSprop and Adam detect the scaling in v_t and normalize it away.",
  problemIds: ["3170841"],
  cost: 6.9,
  fullCost: 37.2,
  async run(ctx) {
    const size = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, size.seeds);
    const backend = await labBackend();
    const train = digitTensors(mnistSplit(size.train, 100).train);
    // steps[opt][gamma][seed] = per-step relative steps of W₁; abs[...] the absolute ‖ΔW₁‖
    const rel: Record<string, number[][][]> = {};
    const abs: Record<string, number[][][]> = {};
    const total = OPTIMIZERS.length * GAMMAS.length * seeds.length;
    let done = 0;
    try {
      for (const o of OPTIMIZERS) {
        rel[o.name] = GAMMAS.map(() => []);
        abs[o.name] = GAMMAS.map(() => []);
        GAMMAS.forEach((gamma, gi) => {
          for (const seed of seeds) {
            const net = new Mlp({
              sizes: [PIXELS, size.hidden, CLASSES],
              activation: "relu",
              batchNormGamma: gamma,
              seed,
            });
            const opt = tfjsOptimizer(o.tx());
            const k = net.weightIndex(1);
            const r: number[] = [];
            const a: number[] = [];
            try {
              let before = net.values()[k]!;
              for (const idx of batchOrder(
                train.size,
                BATCH,
                Math.ceil((size.steps * BATCH) / train.size),
                seed + 7,
              ).slice(0, size.steps)) {
                trainStep(net, opt, train, idx);
                const after = (net.variables[k]!.dataSync() as Float32Array).slice();
                const d = distance(after, before);
                a.push(d);
                r.push(d / norm(before));
                before = after;
              }
            } finally {
              opt.dispose();
              net.dispose();
            }
            rel[o.name]![gi]!.push(r);
            abs[o.name]![gi]!.push(a);
            ctx.progress(++done / total, `${o.name} γ=${gamma}`);
          }
        });
      }
    } finally {
      disposeDigits(train);
    }
    // Mean over steps, then over seeds.
    const runMean = (table: Record<string, number[][][]>, name: string, gi: number, first = false) =>
      mean(table[name]![gi]!.map((run) => (first ? run[0]! : mean(run))));
    const slopes: Record<string, number> = {};
    const firstSlopes: Record<string, number> = {};
    const absSlopes: Record<string, number> = {};
    const perOpt: Record<string, Record<string, number[]>> = {};
    for (const o of OPTIMIZERS) {
      const relMeans = GAMMAS.map((_, gi) => runMean(rel, o.name, gi));
      const absMeans = GAMMAS.map((_, gi) => runMean(abs, o.name, gi));
      const firsts = GAMMAS.map((_, gi) => runMean(abs, o.name, gi, true));
      slopes[o.name] = loglogSlope(GAMMAS, relMeans).slope;
      absSlopes[o.name] = loglogSlope(GAMMAS, absMeans).slope;
      firstSlopes[o.name] = loglogSlope(GAMMAS, firsts).slope;
      perOpt[o.name] = {
        meanRelativeStep: relMeans.map((v) => sig(v, 4)),
        meanStep: absMeans.map((v) => sig(v, 4)),
        firstStep: firsts.map((v) => sig(v, 4)),
      };
    }
    const judgement = judgeGamma({ slopes, firstSlopes });
    const stepAxis = Array.from({ length: size.steps }, (_, i) => i + 1);
    return {
      setup: `${ctx.mode} mode on TF.js's ${backend} backend: MLP 784 → ${size.hidden} → BN (batch statistics, no shift, fixed scale γ) → ReLU → 10, cross-entropy, ${size.train} MNIST training digits, ${size.steps} minibatches of ${BATCH}; γ ∈ {${GAMMAS.join(", ")}}; SGD (lr 0.1), RMSprop (lr 1e-3, α 0.99), Adam (lr 1e-3); the same initial weights (seeded) and batch order for every γ; ${seeds.length} seed${seeds.length > 1 ? "s" : ""}. Measured: ‖ΔW₁‖ and ‖ΔW₁‖/‖W₁‖ of the first layer's weights per step, their mean over the steps, and the slope of its log against log γ.`,
      metrics: {
        gammas: GAMMAS,
        relativeStepSlope: Object.fromEntries(Object.entries(slopes).map(([k, v]) => [k, sig(v, 3)])),
        stepSlope: Object.fromEntries(Object.entries(absSlopes).map(([k, v]) => [k, sig(v, 3)])),
        firstStepSlope: Object.fromEntries(Object.entries(firstSlopes).map(([k, v]) => [k, sig(v, 3)])),
        perOptimizer: perOpt,
      },
      keyNumber: `slope of W₁'s step vs γ: ${OPTIMIZERS.map((o) => `${o.name} ${sig(slopes[o.name]!, 2)}`).join(", ")}`,
      judgement,
      figures: [
        {
          title: "W₁'s relative step vs γ",
          caption:
            "Mean ‖ΔW₁‖/‖W₁‖ per step (over steps and seeds) for each γ, log-log. A slope of 1 means the step is proportional to γ (what SGD's step should do); a flat line means the optimizer cancels γ.",
          spec: lines({
            x: { label: "γ (BatchNorm scale)", log: true },
            y: { label: "mean ‖ΔW₁‖/‖W₁‖ per step", log: true },
            series: OPTIMIZERS.map((o) => ({
              name: o.name,
              x: GAMMAS,
              y: GAMMAS.map((_, gi) => runMean(rel, o.name, gi)),
            })),
          }),
        },
        {
          title: "W₁'s relative step over training",
          caption:
            "Per-step ‖ΔW₁‖/‖W₁‖ (first seed) for γ = 0.1 and 10: SGD's two lines sit apart by the factor the γ-scaled gradient gives; the adaptive optimizers' lines overlap where they cancel γ.",
          spec: lines({
            x: { label: "step" },
            y: { label: "‖ΔW₁‖/‖W₁‖", log: true },
            series: OPTIMIZERS.flatMap((o) =>
              [0, GAMMAS.length - 1].map((gi) => ({
                name: `${o.name} γ=${GAMMAS[gi]}`,
                x: stepAxis,
                y: rel[o.name]![gi]![0]!,
              })),
            ),
          }),
        },
        {
          title: "Slopes",
          caption:
            "Fitted exponent of the step against γ (1: proportional, 0: invariant), over the run and at the first step.",
          spec: bars({
            categoryLabel: "optimizer",
            y: { label: "d log step / d log γ" },
            bars: OPTIMIZERS.flatMap((o) => [
              { category: o.name, group: "relative step, run mean", value: slopes[o.name]! },
              { category: o.name, group: "first step", value: firstSlopes[o.name]! },
            ]),
          }),
        },
      ],
      seeds,
    };
  },
};
