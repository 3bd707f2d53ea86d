/**
 * warmup — the seed (001) says that at the start of training the landscape is steep and chaotic and an
 * adaptive optimizer's moment estimates are still noisy, so an aggressive first step can throw the
 * model into a bad region; a linear lr warmup lets the moments settle first and prevents the early,
 * unstable steps in high-curvature regions.
 *
 * Problem: teacher-student regression (8 inputs, teacher 8-32-1 tanh, 512 points, minibatches of 32
 * drawn from a seeded stream) with a deep student 8-32-32-32-32-1 tanh initialized at a large scale
 * (weights N(0, g²/fan_in), g = 3: saturated units and large outputs, the seed's steep start); an ablation with g = 1 checks
 * the "when curvature is high" part. Adam and AdamW (λ = 0.01) at constant peak lrs, without warmup vs
 * with a linear warmup (linearLr from 1 % of the peak over the first 20 % of steps, then the peak).
 * An unstable run: a loss spike (a minibatch loss above SPIKE_FACTOR × the full-data loss at
 * initialization), a non-finite loss, or no net progress (final full-data loss ≥ the initial one).
 */

import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";
import { adam, adamw, linearLr, Mulberry32, normal, type Optimizer } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import type { Experiment, ExperimentResult, Judgement, Mode } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { median, seedBand, sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { minimizeStep, netValue, tanhNet } from "../problems/tanh-net.ts";

const INPUTS = 8;
const POINTS = 512;
const BATCH = 32;
const HIGH_GAIN = 3;
const LOW_GAIN = 1;
const WARMUP_SHARE = 0.2;

/**
 * A spike: a minibatch loss 4× the initial full-data loss. Minibatch losses of 32 points scatter by
 * well under 2× around the full loss here, so 4× is an excursion, not sampling noise.
 */
export const SPIKE_FACTOR = 4;
/** Warmup "stabilizes" when it removes at least half of the unstable runs over the lr grid. */
export const REDUCTION = 0.5;
/** …and there must be at least this many unstable runs without warmup for the comparison to mean anything. */
export const MIN_UNSTABLE = 2;

interface OptSpec {
  name: string;
  make(lr: number | ((t: number) => number)): Optimizer;
}

const OPTIMIZERS: OptSpec[] = [
  { name: "Adam", make: (lr) => adam({ lr }) },
  { name: "AdamW", make: (lr) => adamw({ lr, weightDecay: 0.01 }) },
];

interface Sizes {
  hidden: number;
  depth: number;
  steps: number;
  seeds: number;
  lrs: number[];
  /** Run the low-curvature ablation (Adam only). */
  ablation: boolean;
}

const SIZES: Record<Mode, Sizes> = {
  smoke: { hidden: 8, depth: 2, steps: 20, seeds: 1, lrs: [0.1], ablation: true },
  quick: { hidden: 32, depth: 4, steps: 150, seeds: 3, lrs: [0.01, 0.03, 0.1, 0.3, 1], ablation: true },
  full: {
    hidden: 32,
    depth: 4,
    steps: 400,
    seeds: 8,
    lrs: [0.003, 0.01, 0.03, 0.1, 0.3, 1],
    ablation: true,
  },
};

export interface ArmMeasurement {
  optimizer: string;
  gain: number;
  warmup: boolean;
  lr: number;
  /** Per seed: was the run unstable (spike, non-finite, or no net progress)? */
  unstable: boolean[];
}

/**
 * The verdict, per optimizer at the high-curvature start: warmup helps when the runs without warmup
 * had ≥ MIN_UNSTABLE unstable runs over the lr grid and warmup removed ≥ REDUCTION of them. The
 * low-curvature ablation is reported in the reason (it qualifies, not decides).
 */
export function judgeWarmup(arms: readonly ArmMeasurement[], highGain = HIGH_GAIN): Judgement {
  const count = (opt: string, gain: number, warmup: boolean) =>
    arms
      .filter((a) => a.optimizer === opt && a.gain === gain && a.warmup === warmup)
      .reduce((s, a) => s + a.unstable.filter(Boolean).length, 0);
  const total = (opt: string, gain: number, warmup: boolean) =>
    arms
      .filter((a) => a.optimizer === opt && a.gain === gain && a.warmup === warmup)
      .reduce((s, a) => s + a.unstable.length, 0);
  const opts = [...new Set(arms.filter((a) => a.gain === highGain).map((a) => a.optimizer))];
  const rows = opts.map((o) => {
    const cold = count(o, highGain, false);
    const warm = count(o, highGain, true);
    const n = total(o, highGain, false);
    const helps = cold >= MIN_UNSTABLE && warm <= (1 - REDUCTION) * cold;
    // The share warmup removed; 0 without enough instability to judge (helps ⇔ removed ≥ REDUCTION).
    const removed = cold >= MIN_UNSTABLE ? (cold - warm) / cold : 0;
    return {
      o,
      cold,
      warm,
      n,
      helps,
      removed,
      text: `${o}: ${cold}/${n} unstable without warmup, ${warm}/${n} with`,
    };
  });
  // "holds" needs every optimizer helped, so the least-helped one decides.
  const deciding = {
    label: `smallest share of unstable runs removed by warmup over the optimizers (init ${highGain}; 0 if < ${MIN_UNSTABLE} unstable without it)`,
    value: rows.length > 0 ? Math.min(...rows.map((r) => r.removed)) : 0,
    threshold: `≥ ${REDUCTION} for every optimizer`,
  };
  const lowGains = [...new Set(arms.map((a) => a.gain))].filter((g) => g !== highGain);
  const ablation = lowGains
    .flatMap((g) =>
      opts
        .filter((o) => total(o, g, false) > 0)
        .map(
          (o) =>
            `${o} at init scale ${g}: ${count(o, g, false)}/${total(o, g, false)} unstable without warmup, ${count(o, g, true)}/${total(o, g, true)} with`,
        ),
    )
    .join("; ");
  const numbers = `${rows.map((r) => r.text).join("; ")} (init scale ${highGain})${ablation ? `; ${ablation}` : ""}`;
  const helped = rows.filter((r) => r.helps);
  if (helped.length === rows.length && rows.length > 0) {
    return {
      verdict: "holds",
      reason: `Warmup removed ≥ ${REDUCTION * 100} % of the unstable runs for every adaptive optimizer at the high-curvature start: ${numbers}.`,
      deciding,
    };
  }
  if (helped.length > 0) {
    return {
      verdict: `holds only when the optimizer is ${helped.map((r) => r.o).join(" or ")}`,
      reason: `Warmup removed ≥ ${REDUCTION * 100} % of the unstable runs only for ${helped.map((r) => r.o).join(", ")}: ${numbers}.`,
      deciding,
    };
  }
  const noHazard = rows.every((r) => r.cold < MIN_UNSTABLE);
  return {
    verdict: "does not hold",
    reason: noHazard
      ? `Without warmup fewer than ${MIN_UNSTABLE} runs per optimizer were unstable, so there was nothing for warmup to fix: ${numbers}.`
      : `Warmup did not remove ≥ ${REDUCTION * 100} % of the unstable runs: ${numbers}.`,
    deciding,
  };
}

interface Run {
  losses: number[];
  initLoss: number;
  finalLoss: number;
  spike: boolean;
  unstable: boolean;
}

export const experiment: Experiment = {
  id: "warmup",
  title: "Warmup at a high-curvature start",
  claim:
    "Early in training the landscape is steep and an adaptive optimizer's moment estimates are still noisy, so an aggressive first step can throw the model into a bad region; a linear learning-rate warmup lets the moments settle and prevents these early unstable steps in high-curvature regions (AdamW benefits greatly).",
  problemIds: ["3143279"],
  cost: 12,
  fullCost: 140,
  async run(ctx): Promise<ExperimentResult> {
    const { backend } = await useBackend("wasm");
    const s = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, s.seeds);
    const warmupSteps = Math.max(1, Math.round(WARMUP_SHARE * s.steps));
    // The data: one seeded set for the whole run (the student's seed varies, the task does not).
    const g = new Mulberry32(ctx.seed * 7919 + 17);
    const gauss = normal(() => g.next());
    const xs = tf.tensor2d(Float32Array.from({ length: POINTS * INPUTS }, gauss), [POINTS, INPUTS]);
    const teacher = tanhNet([INPUTS, 32, 1], ctx.seed * 7919 + 5);
    const ys = tf.tidy(() => netValue(teacher, xs));
    teacher.dispose();
    const startTensors = tf.memory().numTensors;
    const fullLoss = (net: ReturnType<typeof tanhNet>) =>
      tf.tidy(() => tf.mean(tf.squaredDifference(netValue(net, xs), ys)).dataSync()[0]!);

    const arms: { opt: OptSpec; gain: number; warmup: boolean; lr: number }[] = [];
    for (const gain of s.ablation ? [HIGH_GAIN, LOW_GAIN] : [HIGH_GAIN]) {
      for (const opt of gain === HIGH_GAIN ? OPTIMIZERS : OPTIMIZERS.slice(0, 1)) {
        for (const warmup of [false, true]) for (const lr of s.lrs) arms.push({ opt, gain, warmup, lr });
      }
    }
    const results = new Map<string, Run[]>();
    const key = (a: { opt: OptSpec; gain: number; warmup: boolean; lr: number }) =>
      `${a.opt.name}|${a.gain}|${a.warmup}|${a.lr}`;
    let done = 0;
    for (const arm of arms) {
      const runs: Run[] = [];
      for (const seed of seeds) {
        const net = tanhNet([INPUTS, ...Array<number>(s.depth).fill(s.hidden), 1], seed, { gain: arm.gain });
        const lr = arm.warmup ? linearLr({ lr: arm.lr, startFactor: 0.01, totalIters: warmupSteps }) : arm.lr;
        const opt = tfjsOptimizer(arm.opt.make(lr));
        const batches = new Mulberry32(seed * 31 + 7); // same minibatch stream for every arm of a seed
        const initLoss = fullLoss(net);
        const losses: number[] = [];
        for (let t = 0; t < s.steps; t++) {
          const idx = tf.tensor1d(
            Int32Array.from({ length: BATCH }, () => Math.floor(batches.next() * POINTS)),
            "int32",
          );
          const xb = tf.gather(xs, idx) as tf.Tensor2D;
          const yb = tf.gather(ys, idx);
          const l = minimizeStep(
            opt,
            () => tf.mean(tf.squaredDifference(netValue(net, xb), yb)) as tf.Scalar,
            net.variables,
          );
          tf.dispose([idx, xb, yb]);
          losses.push(l);
          if (!Number.isFinite(l)) break;
        }
        const finalLoss = fullLoss(net);
        const spike = losses.some((l) => !(l <= SPIKE_FACTOR * initLoss));
        const unstable = spike || !(finalLoss < initLoss);
        runs.push({ losses, initLoss, finalLoss, spike, unstable });
        opt.dispose();
        net.dispose();
        ctx.progress(++done / (arms.length * seeds.length), `${arm.opt.name} g=${arm.gain} lr ${arm.lr}`);
      }
      results.set(key(arm), runs);
    }
    tf.dispose([xs, ys]);
    const leaked = tf.memory().numTensors - startTensors + 2; // xs and ys were made before the count

    const measurements: ArmMeasurement[] = arms.map((a) => ({
      optimizer: a.opt.name,
      gain: a.gain,
      warmup: a.warmup,
      lr: a.lr,
      unstable: results.get(key(a))!.map((r) => r.unstable),
    }));
    const verdict = judgeWarmup(measurements);
    const nullable = (x: number) => (Number.isFinite(x) ? sig(x) : null);
    const label = (a: { opt: OptSpec; gain: number; warmup: boolean }) =>
      `${a.opt.name}${a.gain === HIGH_GAIN ? "" : ` (init ${a.gain})`}, ${a.warmup ? "warmup" : "no warmup"}`;
    const lineKeys = [...new Set(arms.map((a) => `${a.opt.name}|${a.gain}|${a.warmup}`))];
    const rateFigure = lines({
      x: { label: "peak learning rate", log: true },
      y: { label: "share of seeds unstable (spike, non-finite or no progress)", domain: [0, 1] },
      series: lineKeys.map((k) => {
        const group = arms.filter((a) => `${a.opt.name}|${a.gain}|${a.warmup}` === k);
        return {
          name: label(group[0]!),
          x: group.map((a) => a.lr),
          y: group.map((a) => {
            const rs = results.get(key(a))!;
            return rs.filter((r) => r.unstable).length / rs.length;
          }),
        };
      }),
    });
    // Loss curves at the peak lr where warmup changed Adam's instability the most (ties: larger lr).
    const highAdam = (warmup: boolean, lr: number) =>
      results.get(key({ opt: OPTIMIZERS[0]!, gain: HIGH_GAIN, warmup, lr }))!;
    let showLr = s.lrs[s.lrs.length - 1]!;
    let bestGap = -1;
    for (const lr of s.lrs) {
      const gap =
        highAdam(false, lr).filter((r) => r.unstable).length -
        highAdam(true, lr).filter((r) => r.unstable).length;
      if (gap >= bestGap) {
        bestGap = gap;
        showLr = lr;
      }
    }
    const curve = (r: Run) =>
      Array.from({ length: s.steps }, (_, t) => r.losses[Math.min(t, r.losses.length - 1)]!);
    const stepsAxis = Array.from({ length: s.steps }, (_, t) => t + 1);
    const curveFigure = lines({
      x: { label: "step" },
      y: { label: `minibatch loss at peak lr ${showLr}, init scale ${HIGH_GAIN}`, log: true },
      series: OPTIMIZERS.flatMap((opt) =>
        [false, true].map((warmup) => {
          const band = seedBand(results.get(key({ opt, gain: HIGH_GAIN, warmup, lr: showLr }))!.map(curve));
          return {
            name: `${opt.name}, ${warmup ? "warmup" : "no warmup"}`,
            x: stepsAxis,
            y: band.mean,
            lo: band.lo,
            hi: band.hi,
          };
        }),
      ),
      rules: [{ x: warmupSteps, label: "warmup ends" }],
    });

    const grid = arms.map((a) => {
      const rs = results.get(key(a))!;
      return {
        optimizer: a.opt.name,
        initScale: a.gain,
        warmup: a.warmup,
        peakLr: a.lr,
        unstableRate: sig(rs.filter((r) => r.unstable).length / rs.length),
        spikeRate: sig(rs.filter((r) => r.spike).length / rs.length),
        maxLossOverInit: rs.map((r) => nullable(Math.max(...r.losses) / r.initLoss)),
        finalLoss: rs.map((r) => nullable(r.finalLoss)),
      };
    });
    const countUnstable = (opt: string, gain: number, warmup: boolean) =>
      measurements
        .filter((m) => m.optimizer === opt && m.gain === gain && m.warmup === warmup)
        .reduce((n, m) => n + m.unstable.filter(Boolean).length, 0);
    const perArm = s.lrs.length * seeds.length;
    const medFinal = (opt: OptSpec, warmup: boolean) =>
      median(
        s.lrs.flatMap((lr) =>
          results
            .get(key({ opt, gain: HIGH_GAIN, warmup, lr }))!
            .map((r) => (Number.isFinite(r.finalLoss) ? r.finalLoss : Infinity)),
        ),
      );
    // The price of stability, for the reader (not part of the verdict): final loss over the whole grid.
    const judgement: Judgement = {
      ...verdict,
      reason: `${verdict.reason} Median final full-data loss over the grid: ${OPTIMIZERS.map((o) => `${o.name} ${sig(medFinal(o, false), 2)} without, ${sig(medFinal(o, true), 2)} with warmup`).join("; ")}.`,
    };
    return {
      setup:
        `${ctx.mode} mode: teacher-student regression, ${INPUTS} inputs, ${POINTS} points, minibatches of ${BATCH} (seeded stream); ` +
        `student ${INPUTS}-${Array(s.depth).fill(s.hidden).join("-")}-1 tanh, weights N(0, g²/fan_in) with g = ${HIGH_GAIN} (high curvature)` +
        `${s.ablation ? ` and, for Adam, g = ${LOW_GAIN}` : ""}; ${s.steps} steps; peak lrs ${s.lrs.join(", ")}; Adam and AdamW (λ = 0.01), ` +
        `constant peak lr vs linear warmup (linearLr from 1 % of the peak over ${warmupSteps} steps); ${seeds.length} seeds. ` +
        `Unstable = a minibatch loss > ${SPIKE_FACTOR}× the full-data loss at init, a non-finite loss, or final full-data loss ≥ the initial one. TF.js ${backend} backend.`,
      metrics: {
        unstableRuns: Object.fromEntries(
          OPTIMIZERS.map((o) => [
            o.name,
            {
              noWarmup: countUnstable(o.name, HIGH_GAIN, false),
              warmup: countUnstable(o.name, HIGH_GAIN, true),
              of: perArm,
            },
          ]),
        ),
        medianFinalLoss: Object.fromEntries(
          OPTIMIZERS.map((o) => [
            o.name,
            { noWarmup: nullable(medFinal(o, false)), warmup: nullable(medFinal(o, true)) },
          ]),
        ),
        grid,
        backend,
        leakedTensors: leaked,
      },
      keyNumber: `unstable runs (init ${HIGH_GAIN}), no warmup → warmup: ${OPTIMIZERS.map((o) => `${o.name} ${countUnstable(o.name, HIGH_GAIN, false)}→${countUnstable(o.name, HIGH_GAIN, true)} of ${perArm}`).join(", ")}`,
      judgement,
      figures: [
        {
          title: "Instability vs peak learning rate",
          caption:
            "Share of seeds with an early loss spike, a non-finite loss or no net progress, per peak lr, with and without linear warmup. Where the warmup line sits below the no-warmup line of the same optimizer, warmup bought stability; the init-1 lines show the same at a gentle start.",
          spec: rateFigure,
        },
        {
          title: `Loss curves at peak lr ${showLr}`,
          caption:
            "Minibatch loss per step, mean over seeds with the 10–90 % band, log scale, at the peak lr where warmup changed Adam's instability most. Look at the first steps: without warmup the first full-size steps throw the loss up; with warmup the climb is gentle and the spike smaller or gone.",
          spec: curveFigure,
        },
      ],
      seeds,
    };
  },
};
