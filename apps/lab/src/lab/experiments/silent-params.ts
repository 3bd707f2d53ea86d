/**
 * silent-params — a weight whose data gradient is always zero: does Adam + L2 leave it alone, as
 * the seed says, while AdamW shrinks it every step?
 *
 * Problem (the former `npm run lab` demo): least squares with six features — two loud (scale 10),
 * two quiet (0.1), two silent (scale 0: the column is zero, so the data never push those weights);
 * every weight starts at 1. For a silent weight the only gradient Adam + L2 sees is λ·w, and Adam
 * normalizes it: m̂/(√v̂ + ε) = EMA(λw)/(RMS of past λw + ε), independent of λ while λ|w| ≫ ε. At
 * first the weight moves by ≈ lr per step (a linear decay); as |w| drops below the RMS of its own
 * history (β2 = 0.999 remembers it) the step shrinks in proportion to |w|, and the weight collapses
 * towards 0 within a few times w0/lr steps, whatever λ is. AdamW multiplies it
 * by (1 − lr·λ) per step: an exponential decay with e-folding time 1/(lr·λ). Only when λ|w| ≪ ε does
 * Adam + L2 slow down, to a rate lr·λ/ε per step — still 1/ε times AdamW's.
 */
import { adam, adamw, createOptimizer, type Optimizer, sgd } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement, Mode } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { firstCrossing, sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { leastSquares } from "../problems/least-squares.ts";

const SCALES = [10, 10, 0.1, 0.1, 0, 0];
const TRUTH = [1, 1, 1, 1, 0, 0];
const SILENT = 4;
const LR = 0.01;
const SGD_LR = 0.005;
const WD = 0.05;
const EPS = 1e-8;
/** "Regularized to zero" = below 1 % of the starting value. */
const TARGET = 0.01;

interface Sizes {
  n: number;
  steps: number;
  lambdas: number[];
}

const SIZES: Record<Mode, Sizes> = {
  smoke: { n: 32, steps: 300, lambdas: [1e-9, 0.05] },
  quick: { n: 256, steps: 3000, lambdas: [1e-10, 1e-9, 1e-8, 1e-6, 1e-4, 1e-2, 0.05, 0.3] },
  full: {
    n: 256,
    steps: 20000,
    lambdas: [1e-11, 1e-10, 3e-10, 1e-9, 3e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.05, 0.3, 1],
  },
};

export interface SilentMeasurements {
  steps: number;
  lr: number;
  lambda: number;
  /** |w_silent| at the end, starting from 1. */
  adamL2Final: number;
  adamL2StepsToTarget: number | null;
  adamwFinal: number;
  adamwStepsToTarget: number | null;
  /** AdamW's measured per-step factor (w_T/w_0)^(1/T) and the (1 − lr·λ) it should be. */
  adamwFactor: number;
  adamwExpectedFactor: number;
}

/**
 * The claim has two halves. AdamW "shrinks it every step": its measured per-step factor must match
 * 1 − lr·λ to 1e-9 relative (float64 products over thousands of steps drift by ~1e-13, so any real
 * deviation is far above this). Adam + L2 "never regularizes it": refuted if the silent weight gets
 * below 1 % of its start within the run (the same target used for both optimizers).
 */
export function judgeSilent(m: SilentMeasurements): Judgement {
  const adamwOk = Math.abs(m.adamwFactor / m.adamwExpectedFactor - 1) < 1e-9;
  const l2Regularized = m.adamL2Final <= TARGET;
  const w = `AdamW's per-step factor ${sig(m.adamwFactor, 8)} vs 1 − lr·λ = ${sig(m.adamwExpectedFactor, 8)}`;
  if (!adamwOk) {
    return {
      verdict: "does not hold",
      reason: `AdamW does not shrink the silent weight by a constant factor: ${w} (tolerance 1e-9 relative).`,
      deciding: {
        label: "AdamW's per-step factor / (1 − lr·λ) − 1",
        value: m.adamwFactor / m.adamwExpectedFactor - 1,
        threshold: "|·| < 1e-9",
      },
    };
  }
  // AdamW behaves: the verdict turns on whether Adam + L2 left the weight alone.
  const deciding = {
    label: "Adam + L2's silent |w| at the end (from 1)",
    value: m.adamL2Final,
    threshold: `> ${TARGET} (not regularized to zero)`,
  };
  if (l2Regularized) {
    return {
      verdict: "does not hold",
      reason:
        `AdamW does shrink it (${w}, |w| = ${sig(m.adamwFinal)} after ${m.steps} steps), but Adam + L2 regularizes it too, and faster: ` +
        `its only gradient λw is normalized (a step of ≈ lr at first, whatever λ; w0/lr = ${Math.round(1 / m.lr)} steps), ` +
        `so |w| fell below ${TARGET} after ${m.adamL2StepsToTarget} steps and ended at ${sig(m.adamL2Final)}; AdamW ${m.adamwStepsToTarget === null ? `never got there in ${m.steps} steps` : `needed ${m.adamwStepsToTarget}`}.`,
      deciding,
    };
  }
  return {
    verdict: "holds",
    reason: `${w}; Adam + L2 left the silent weight at ${sig(m.adamL2Final)} (above ${TARGET}) after ${m.steps} steps.`,
    deciding,
  };
}

function silentTrajectory(tx: Optimizer, sz: Sizes, seed: number): Float64Array {
  const p = leastSquares({ n: sz.n, scales: SCALES, truth: TRUTH, noise: 0.1, seed });
  const w = new Float64Array(SCALES.length).fill(1);
  const g = new Float64Array(SCALES.length);
  const opt = createOptimizer(tx, { w }, { kernel: "reference" });
  const out = new Float64Array(sz.steps + 1);
  out[0] = w[SILENT]!;
  for (let t = 0; t < sz.steps; t++) {
    p.gradient(w, g);
    opt.step({ w: g });
    out[t + 1] = w[SILENT]!;
  }
  return out;
}

const crossing = (traj: Float64Array) => firstCrossing(Array.from(traj, Math.abs), TARGET);

export const experiment: Experiment = {
  id: "silent-params",
  title: "Weights the data never touch",
  claim:
    "A parameter whose loss gradient is always zero is never updated, hence never regularized, by standard Adam (with L2 in the loss); AdamW still pushes it toward zero steadily at every step.",
  problemIds: ["3096558"],
  cost: 0.93,
  fullCost: 10.7,
  async run(ctx): Promise<ExperimentResult> {
    const sz = SIZES[ctx.mode];
    const [seed] = seedsFor(ctx, 1) as [number];
    const main = {
      "Adam + L2": silentTrajectory(adam({ lr: LR, weightDecay: WD }), sz, seed),
      AdamW: silentTrajectory(adamw({ lr: LR, weightDecay: WD }), sz, seed),
      "SGD + L2": silentTrajectory(sgd({ lr: SGD_LR, weightDecay: WD }), sz, seed),
    };
    ctx.progress(0.2, "main runs");
    const sweep = sz.lambdas.map((lambda, i) => {
      const l2 = silentTrajectory(adam({ lr: LR, weightDecay: lambda }), sz, seed);
      const w = silentTrajectory(adamw({ lr: LR, weightDecay: lambda }), sz, seed);
      ctx.progress(0.2 + (0.8 * (i + 1)) / sz.lambdas.length, `λ = ${lambda}`);
      return {
        lambda,
        adamL2Steps: crossing(l2),
        adamL2Final: Math.abs(l2[sz.steps]!),
        adamwSteps: crossing(w),
        adamwFinal: Math.abs(w[sz.steps]!),
        // AdamW's e-folding arithmetic: ln(1/TARGET)/(−ln(1 − lr·λ)) steps to reach the target.
        adamwPredicted: Math.log(1 / TARGET) / -Math.log1p(-LR * lambda),
      };
    });
    const l2 = main["Adam + L2"];
    const aw = main.AdamW;
    const m: SilentMeasurements = {
      steps: sz.steps,
      lr: LR,
      lambda: WD,
      adamL2Final: Math.abs(l2[sz.steps]!),
      adamL2StepsToTarget: crossing(l2),
      adamwFinal: Math.abs(aw[sz.steps]!),
      adamwStepsToTarget: crossing(aw),
      adamwFactor: (aw[sz.steps]! / aw[0]!) ** (1 / sz.steps),
      adamwExpectedFactor: 1 - LR * WD,
    };
    const judgement = judgeSilent(m);
    // Where Adam + L2 first passes zero and how far momentum carries it past (then it settles).
    const zero = l2.findIndex((v) => v <= 0);
    const afterCross = zero < 0 ? [] : Array.from(l2.slice(zero), Math.abs);
    const steps = Array.from({ length: sz.steps + 1 }, (_, t) => t);
    const sweepFig = (key: "adamL2Steps" | "adamwSteps") => sweep.map((r) => r[key] ?? Number.NaN);
    return {
      setup:
        `Full-batch least squares (${ctx.mode} mode): n = ${sz.n} samples, 6 features of scales [${SCALES.join(", ")}] ` +
        `(features 5–6 are identically zero: silent), truth [${TRUTH.join(", ")}], label noise 0.1, every weight starts at 1; ` +
        `${sz.steps} steps of Adam + L2 and AdamW (lr ${LR}, λ ${WD}, betas (0.9, 0.999), ε ${EPS}) and SGD + L2 (lr ${SGD_LR}). ` +
        `λ sweep for both Adam variants: ${sz.lambdas.join(", ")} (same lr, same steps). One data seed: the silent weight's path does not depend on the data.`,
      metrics: {
        ...m,
        adamwPredictedStepsToTarget: sig(Math.log(1 / TARGET) / -Math.log1p(-LR * WD), 4),
        adamL2FirstZeroCrossing: zero < 0 ? null : zero,
        adamL2MaxOvershoot: afterCross.length ? sig(Math.max(...afterCross)) : null,
        sgdL2Final: sig(Math.abs(main["SGD + L2"][sz.steps]!)),
        sweep: sweep.map((r) => ({
          lambda: r.lambda,
          adamL2StepsToTarget: r.adamL2Steps,
          adamL2Final: sig(r.adamL2Final),
          adamwStepsToTarget: r.adamwSteps,
          adamwFinal: sig(r.adamwFinal),
          adamwPredictedStepsToTarget: sig(r.adamwPredicted, 4),
        })),
      },
      keyNumber: `silent |w| after ${sz.steps} steps: Adam + L2 ${sig(m.adamL2Final, 2)} (below 1 % at step ${m.adamL2StepsToTarget ?? "never"}), AdamW ${sig(m.adamwFinal, 3)}`,
      judgement,
      figures: [
        {
          title: "The silent weight over time",
          caption:
            "Adam + L2 (≈ lr per step at first, then a collapse as |w| falls below the RMS of its own history) vs AdamW's exponential (1 − lr·λ)ᵗ and SGD + L2's (1 − lr·λ)ᵗ with its own lr. Adam + L2 is the fastest to zero, not the one that never moves.",
          spec: lines({
            x: { label: "step" },
            y: { label: "|w_silent|" },
            series: Object.entries(main).map(([name, traj]) => ({
              name,
              x: steps,
              y: Array.from(traj, Math.abs),
            })),
          }),
        },
        {
          title: "Steps to shrink the silent weight below 1 % of its start, vs λ",
          caption:
            "Adam + L2 needs the same ≈ 2·w0/lr steps for every λ with λ|w| ≫ ε (its points lie level), slowing only when λ|w| nears ε = 1e-8. AdamW needs ln(100)/(lr·λ) (the 'AdamW prediction' points); missing points never got there within the run.",
          spec: lines({
            x: { label: "weight decay λ", log: true },
            y: { label: "steps to |w| < 0.01", log: true },
            points: true,
            series: [
              { name: "Adam + L2", x: sz.lambdas, y: sweepFig("adamL2Steps") },
              { name: "AdamW", x: sz.lambdas, y: sweepFig("adamwSteps") },
              { name: "AdamW prediction", x: sz.lambdas, y: sweep.map((r) => r.adamwPredicted) },
            ],
            rules: [{ y: sz.steps, label: "end of run" }],
          }),
        },
      ],
      tables: [
        {
          caption:
            "λ sweep: steps until the silent weight is below 1 % of its start (— = not within the run)",
          columns: [
            "λ",
            "Adam + L2 steps",
            "Adam + L2 final |w|",
            "AdamW steps",
            "AdamW predicted",
            "AdamW final |w|",
          ],
          rows: sweep.map((r) => [
            r.lambda,
            r.adamL2Steps ?? "—",
            sig(r.adamL2Final),
            r.adamwSteps ?? "—",
            sig(r.adamwPredicted, 4),
            sig(r.adamwFinal),
          ]),
        },
      ],
      seeds: [seed],
    };
  },
};
