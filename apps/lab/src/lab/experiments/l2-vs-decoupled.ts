/**
 * l2-vs-decoupled — with L2 in the loss, Adam divides the decay gradient λw by √v̂ like any other
 * gradient, so weights with a large gradient history are decayed less per step; AdamW's decoupled
 * decay removes the same fraction lr·λ from every weight.
 *
 * Problem: full-batch least squares whose features span four decades of scale (0.01 … 100), so the
 * weights' gradient histories √v̂ span about as many. Measurement, per weight and step, of the
 * fraction of the weight the decay removes in that step ("effective shrinkage per step"), split out
 * of the optimizer's real update using its own state:
 * - Adam + L2: m is linear in its inputs, so m̂ = m̂_data + m̂_L2 with m̂_L2 the bias-corrected EMA of
 *   the λw_{t−1} fed in; the decay's share of the step is lr·m̂_L2/(√v̂ + ε), divided by w_{t−1}.
 * - AdamW: whatever of the measured step Δw is not Adam's preconditioned gradient lr·m̂/(√v̂ + ε),
 *   i.e. −(Δw + lr·m̂/(√v̂ + ε))/w_{t−1} (should be lr·λ exactly).
 * The claim predicts a log-log slope of −1 against √v̂ for Adam + L2 and 0 for AdamW. The fixed
 * point is another matter: Adam + L2 still converges to the ridge minimizer (closed form shown),
 * the per-step unevenness is only a preconditioning of the same objective.
 */
import { adam, adamw, createOptimizer, type Optimizer } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement, Mode } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { loglogSlope, median, sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { adamMoments } from "../problems/adam-moments.ts";
import { leastSquares } from "../problems/least-squares.ts";
import { ridgeClosedForm } from "../problems/ridge.ts";

const LR = 0.01;
const WD = 0.05;
const BETA1 = 0.9;
const EPS = 1e-8;

interface Sizes {
  n: number;
  d: number;
  steps: number;
  seeds: number;
  /** Measure every `every` steps after the first `every`. */
  every: number;
}

const SIZES: Record<Mode, Sizes> = {
  smoke: { n: 32, d: 5, steps: 200, seeds: 1, every: 50 },
  quick: { n: 256, d: 9, steps: 3000, seeds: 3, every: 100 },
  full: { n: 512, d: 17, steps: 10000, seeds: 6, every: 100 },
};

/** Feature scales log-spaced over 1e-2 … 1e2. */
function scalesFor(d: number): number[] {
  return Array.from({ length: d }, (_, j) => 10 ** (-2 + (4 * j) / (d - 1)));
}

interface Point {
  rmsGrad: number;
  shrink: number;
  feature: number;
}

interface Run {
  points: Point[];
  final: Float64Array;
}

function runOne(kind: "l2" | "decoupled", sz: Sizes, seed: number): Run {
  const scales = scalesFor(sz.d);
  const p = leastSquares({ n: sz.n, scales, noise: 0.1, seed });
  const tx: Optimizer =
    kind === "l2" ? adam({ lr: LR, weightDecay: WD }) : adamw({ lr: LR, weightDecay: WD });
  const w = new Float64Array(sz.d);
  const g = new Float64Array(sz.d);
  const opt = createOptimizer(tx, { w }, { kernel: "reference" });
  // The EMA of the L2 gradients λw fed to Adam + L2 (its share of m, by linearity).
  const mL2 = new Float64Array(sz.d);
  const points: Point[] = [];
  for (let t = 1; t <= sz.steps; t++) {
    const before = w.slice();
    p.gradient(w, g);
    opt.step({ w: g });
    for (let j = 0; j < sz.d; j++) mL2[j] = BETA1 * mL2[j]! + (1 - BETA1) * WD * before[j]!;
    if (t % sz.every !== 0) continue;
    const { mHat, vHat } = adamMoments(opt);
    const bc1 = 1 - BETA1 ** t;
    for (let j = 0; j < sz.d; j++) {
      // Skip weights still too close to 0 for a relative shrinkage to mean anything.
      if (Math.abs(before[j]!) < 1e-6) continue;
      const denom = Math.sqrt(vHat[j]!) + EPS;
      const part =
        kind === "l2" ? (LR * mL2[j]!) / bc1 / denom : -(w[j]! - before[j]! + (LR * mHat[j]!) / denom);
      points.push({ rmsGrad: Math.sqrt(vHat[j]!), shrink: part / before[j]!, feature: j });
    }
  }
  return { points, final: w };
}

export interface L2Measurements {
  /** Log-log slope of shrinkage per step vs √v̂ and its r². */
  l2Slope: number;
  l2R2: number;
  decoupledSlope: number;
  /** max/min of AdamW's shrinkage over all points (1 = perfectly uniform). */
  decoupledSpread: number;
  /** max/min of Adam + L2's shrinkage. */
  l2Spread: number;
}

/**
 * Thresholds: Adam + L2 "shrinkage ∝ 1/√v̂" means a slope of −1; ±0.2 leaves room for the EMA lag
 * (m̂_L2 averages λw over ~10 steps while w moves). AdamW "uniform" means a spread within 1 % (the
 * decay is a fixed factor by construction; only rounding could move it). And the effect must be
 * large: Adam + L2's shrinkage must vary by at least 10× across the weights.
 */
export function judgeL2(m: L2Measurements): Judgement {
  const slopeOk = Math.abs(m.l2Slope + 1) <= 0.2;
  const l2Ok = slopeOk && m.l2Spread >= 10;
  const wOk = m.decoupledSpread <= 1.01;
  const nums =
    `Adam + L2 slope ${sig(m.l2Slope)} (r² ${sig(m.l2R2)}), shrinkage varying ${sig(m.l2Spread)}× across weights; ` +
    `AdamW slope ${sig(m.decoupledSlope)}, spread ${sig(m.decoupledSpread, 6)}×`;
  // The slope is the claim's number; only when it passes and another test fails is that one shown.
  const deciding =
    !slopeOk || (l2Ok && wOk)
      ? {
          label: "Adam + L2's log-log slope of decay per step vs √v̂",
          value: m.l2Slope,
          threshold: "within −1 ± 0.2 (spread ≥ 10×; AdamW's ≤ 1.01×)",
        }
      : !l2Ok
        ? { label: "Adam + L2's shrinkage spread max/min", value: m.l2Spread, threshold: "≥ 10×" }
        : { label: "AdamW's shrinkage spread max/min", value: m.decoupledSpread, threshold: "≤ 1.01×" };
  if (l2Ok && wOk)
    return {
      verdict: "holds",
      reason: `${nums}: Adam + L2's per-step decay falls like 1/√v̂ (slope within −1 ± 0.2) and AdamW's is uniform (within 1 %).`,
      deciding,
    };
  return {
    verdict: "does not hold",
    reason: `${nums}; expected a slope within −1 ± 0.2 with ≥ 10× spread for Adam + L2 and a spread ≤ 1 % for AdamW.`,
    deciding,
  };
}

export const experiment: Experiment = {
  id: "l2-vs-decoupled",
  title: "L2 in the loss vs decoupled decay",
  claim:
    "With L2 added to the loss, Adam's division by √v̂ also scales the decay term λθ, so weights with a large gradient history are decayed less; AdamW's decoupled decay applies the same uniform shrinkage to all weights, independent of their gradient history.",
  problemIds: ["2152239", "3141373", "3096561"],
  cost: 0.53,
  fullCost: 8.24,
  async run(ctx): Promise<ExperimentResult> {
    const sz = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, sz.seeds);
    const scales = scalesFor(sz.d);
    const l2Runs: Run[] = [];
    const wRuns: Run[] = [];
    const ridgeW: Float64Array[] = [];
    seeds.forEach((seed, i) => {
      l2Runs.push(runOne("l2", sz, seed));
      wRuns.push(runOne("decoupled", sz, seed));
      ridgeW.push(ridgeClosedForm(leastSquares({ n: sz.n, scales, noise: 0.1, seed }), WD).w);
      ctx.progress((i + 1) / seeds.length, `seed ${seed}`);
    });
    const l2Points = l2Runs.flatMap((r) => r.points).filter((p) => p.shrink > 0 && p.rmsGrad > 0);
    const wPoints = wRuns.flatMap((r) => r.points);
    const l2Fit = loglogSlope(
      l2Points.map((p) => p.rmsGrad),
      l2Points.map((p) => p.shrink),
    );
    const wFit = loglogSlope(
      wPoints.map((p) => p.rmsGrad),
      wPoints.map((p) => p.shrink),
    );
    const range = (v: number[]) => Math.max(...v) / Math.min(...v);
    const m: L2Measurements = {
      l2Slope: l2Fit.slope,
      l2R2: l2Fit.r2,
      decoupledSlope: wFit.slope,
      decoupledSpread: range(wPoints.map((p) => p.shrink)),
      l2Spread: range(l2Points.map((p) => p.shrink)),
    };
    const judgement = judgeL2(m);
    // Per feature: median over snapshots and seeds; final weights averaged over seeds.
    const perFeature = scales.map((scale, j) => {
      const l2j = l2Points.filter((p) => p.feature === j);
      const wj = wPoints.filter((p) => p.feature === j);
      const avg = (runs: Float64Array[]) => runs.reduce((s, r) => s + r[j]!, 0) / runs.length;
      return {
        scale: sig(scale),
        rmsGradL2: l2j.length ? sig(median(l2j.map((p) => p.rmsGrad))) : null,
        shrinkL2: l2j.length ? sig(median(l2j.map((p) => p.shrink))) : null,
        shrinkAdamW: wj.length ? sig(median(wj.map((p) => p.shrink))) : null,
        finalL2: sig(avg(l2Runs.map((r) => r.final))),
        finalAdamW: sig(avg(wRuns.map((r) => r.final))),
        ridge: sig(avg(ridgeW)),
      };
    });
    const cell = (v: number | null) => (v === null ? "—" : v);
    return {
      setup:
        `Full-batch least squares (${ctx.mode} mode): n = ${sz.n}, d = ${sz.d} features with scales log-spaced 0.01 … 100, ` +
        `true weights all 1, label noise 0.1, weights start at 0. Adam + L2 (adam, weightDecay ${WD}) and AdamW (weightDecay ${WD}), ` +
        `both lr ${LR}, betas (0.9, 0.999), ε ${EPS}, ${sz.steps} steps; the decay's share of each step is read off every ${sz.every} steps ` +
        `from the optimizer's state (m̂, v̂) for every weight; ${sz.seeds} data seed(s). Ridge closed form (Cholesky) for reference.`,
      metrics: {
        l2Slope: sig(m.l2Slope, 4),
        l2R2: sig(m.l2R2, 4),
        decoupledSlope: sig(m.decoupledSlope, 4),
        decoupledSpread: sig(m.decoupledSpread, 8),
        l2Spread: sig(m.l2Spread, 4),
        expectedDecoupledShrink: LR * WD,
        points: l2Points.length + wPoints.length,
        perFeature,
      },
      keyNumber: `log-log slope of decay per step vs √v̂: Adam + L2 ${sig(m.l2Slope, 3)}, AdamW ${sig(m.decoupledSlope, 2)}`,
      judgement,
      figures: [
        {
          title: "Decay applied per step vs the weight's gradient history",
          caption: `Each point is one weight at one snapshot. Adam + L2's decay per step falls like 1/√v̂ (slope ${sig(m.l2Slope, 3)}): the weights with the loudest gradients are barely decayed. AdamW removes lr·λ = ${LR * WD} of every weight, whatever √v̂ is.`,
          spec: lines({
            x: { label: "√v̂ (RMS of the weight's gradient history)", log: true },
            y: { label: "fraction of the weight removed by decay per step", log: true },
            points: true,
            maxPoints: 600,
            series: [
              { name: "Adam + L2", x: l2Points.map((p) => p.rmsGrad), y: l2Points.map((p) => p.shrink) },
              { name: "AdamW", x: wPoints.map((p) => p.rmsGrad), y: wPoints.map((p) => p.shrink) },
            ],
            rules: [{ y: LR * WD, label: "lr·λ" }],
          }),
        },
        {
          title: "Final weights vs feature scale (truth = 1)",
          caption:
            "What the decay did by the end: Adam + L2 lands on the ridge minimizer (the closed form), which shrinks the quiet features hardest — the uneven per-step decay changes the path, not the destination. AdamW has no loss it minimizes: its fixed point balances m̂/√v̂ against λw, and it too ends short of the truth on the quietest features, whose gradients are small next to their fluctuations (see adamw-steady-state).",
          spec: lines({
            x: { label: "feature scale", log: true },
            y: { label: "final weight (mean over seeds)" },
            series: [
              { name: "Adam + L2", x: scales, y: perFeature.map((f) => f.finalL2) },
              { name: "AdamW", x: scales, y: perFeature.map((f) => f.finalAdamW) },
              { name: "ridge closed form", x: scales, y: perFeature.map((f) => f.ridge) },
            ],
            rules: [{ y: 1, label: "truth" }],
          }),
        },
      ],
      tables: [
        {
          caption: "Per feature (medians over snapshots and seeds; final weights averaged over seeds)",
          columns: [
            "scale",
            "√v̂ (Adam + L2)",
            "decay/step Adam + L2",
            "decay/step AdamW",
            "final w Adam + L2",
            "final w AdamW",
            "ridge w*",
          ],
          rows: perFeature.map((f) => [
            f.scale,
            cell(f.rmsGradL2),
            cell(f.shrinkL2),
            cell(f.shrinkAdamW),
            f.finalL2,
            f.finalAdamW,
            f.ridge,
          ]),
        },
      ],
      seeds,
    };
  },
};
