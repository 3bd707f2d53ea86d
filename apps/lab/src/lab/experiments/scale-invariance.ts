/**
 * scale-invariance: Adam's step m̂/(√v̂ + ε) does not change when the loss is multiplied by c > 0 —
 * exactly when ε = 0, and only while ε ≪ c·√v̂ otherwise. SGD's step is multiplied by c.
 *
 * Problem: a seeded logistic regression (src/lab/problems/seeded-logistic.ts), full batch, so the only
 * difference between two runs is the factor c. For each c we run from w = 0 and compare the
 * trajectory with the c = 1 one, relative to the length of the c = 1 path.
 */

import { adam, createOptimizer, type GradientTransformation, sgd } from "momenta-optim";
import type { Context, Experiment, ExperimentResult, Judgement } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { seededLogistic } from "../problems/seeded-logistic.ts";
import { norm2 } from "../problems/streams.ts";

/** The brief's grid {1e-3, 1, 100, 1e4} plus two small factors, to find where ε = 1e-8 starts to matter. */
const FACTORS = [1e-8, 1e-6, 1e-3, 1, 100, 1e4];
const EPS = 1e-8;
const ADAM_LR = 0.05;
const SGD_LR = 0.5;

export interface ScaleMeasurements {
  factors: number[];
  /** Worst (over seeds) max_t ‖w_c(t) − w_1(t)‖ / max_t ‖w_1(t) − w_1(0)‖, per factor. */
  adamExact: number[];
  adamEps: number[];
  sgd: (number | null)[];
  /** ε / (c·min √v̂) per factor: ε's share of Adam's denominator at its worst point along the c = 1 run. */
  epsShare: number[];
}

/**
 * Thresholds: 1e-9 for "exact" — float64 rounds at 1e-16 per operation and this contracting convex
 * run does not amplify it past ~1e-13, so 1e-9 separates rounding from a real difference; 1e-3 for
 * "practically unchanged" — 0.1 % of the path length, invisible in any loss curve; SGD "changes" when
 * its deviation exceeds 1 % of the path.
 */
export function judgeScaleInvariance(m: ScaleMeasurements): Judgement {
  const exactWorst = Math.max(...m.adamExact);
  const sgdWorst = Math.max(...m.sgd.map((x) => (x === null ? Infinity : x)));
  const sgdText = `SGD's trajectory moves by up to ${sgdWorst === Infinity ? "∞ (diverged)" : sig(sgdWorst)} of its path length`;
  // A run that left the finite numbers has no deviation to average: counted as 1e6 path lengths.
  const finite = (x: number) => (Number.isFinite(x) ? x : 1e6);
  if (!(exactWorst <= 1e-9)) {
    return {
      verdict: "does not hold",
      reason: `With ε = 0 Adam's trajectory still changes with c by ${sig(exactWorst)} of its path length (> 1e-9); ${sgdText}.`,
      deciding: {
        label: "Adam (ε = 0) trajectory deviation / path length, worst c (non-finite: 1e6)",
        value: finite(exactWorst),
        threshold: "≤ 1e-9",
      },
    };
  }
  // With ε = 0 exact (by ~7 orders of magnitude in practice), ε = 1e-8 at the smallest c decides.
  const deciding = {
    label: `Adam (ε = ${EPS}) trajectory deviation / path length, worst c (non-finite: 1e6)`,
    value: finite(Math.max(0, ...m.adamEps)),
    threshold: "≤ 1e-3 at every c",
  };
  const broken = m.factors.filter((_, i) => !(m.adamEps[i]! <= 1e-3));
  if (broken.length === 0) {
    return {
      verdict: "holds",
      reason: `Adam's trajectory is unchanged by c ∈ {${m.factors.join(", ")}}: ≤ ${sig(exactWorst)} with ε = 0 and ≤ ${sig(Math.max(...m.adamEps))} with ε = ${EPS} (threshold 1e-3); ${sgdText}.`,
      deciding,
    };
  }
  const worstC = Math.max(...broken);
  const i = m.factors.indexOf(worstC);
  return {
    verdict: "holds only when ε ≪ c·√v̂ (exact with ε = 0)",
    reason:
      `With ε = 0 the trajectories agree to ${sig(exactWorst)} of the path length for every c; with ε = ${EPS} they ` +
      `move by more than 0.1 % for c ≤ ${worstC < 0.01 ? worstC.toExponential(0) : worstC} (deviation ${sig(m.adamEps[i]!)}, where ε/(c·√v̂min) = ${sig(m.epsShare[i]!)}); ${sgdText}.`,
    deciding,
  };
}

interface Run {
  path: Float64Array[];
  losses: number[];
  minSqrtVHat: number;
}

function run(
  tx: GradientTransformation<unknown>,
  seed: number,
  c: number,
  steps: number,
  n: number,
  d: number,
): Run {
  const problem = seededLogistic(seed, n, d);
  const w = new Float64Array(d);
  const g = new Float64Array(d);
  const opt = createOptimizer(tx, { w }, { kernel: "reference" });
  const path = [w.slice()];
  const losses: number[] = [];
  let minSqrtVHat = Infinity;
  const v = opt.buffers.expAvgSq?.[0]; // SGD has no second moment
  for (let t = 0; t < steps; t++) {
    losses.push(problem.gradient(w, g));
    for (let j = 0; j < d; j++) g[j]! *= c;
    opt.step({ w: g });
    path.push(w.slice());
    if (v) {
      const bc2 = 1 - 0.999 ** opt.stepCount;
      for (const x of v) minSqrtVHat = Math.min(minSqrtVHat, Math.sqrt(x / bc2));
    }
  }
  losses.push(problem.loss(w));
  return { path, losses, minSqrtVHat };
}

/** max_t ‖a(t) − b(t)‖ / max_t ‖b(t) − b(0)‖; null when a left the finite numbers. */
function deviation(a: Float64Array[], b: Float64Array[]): number | null {
  let num = 0;
  let den = 0;
  for (let t = 0; t < b.length; t++) {
    const diff = a[t]!.map((x, j) => x - b[t]![j]!);
    const dn = norm2(diff);
    if (!Number.isFinite(dn)) return null;
    num = Math.max(num, dn);
    den = Math.max(den, norm2(b[t]!.map((x, j) => x - b[0]![j]!)));
  }
  return num / den;
}

export const experiment: Experiment = {
  id: "scale-invariance",
  title: "Adam ignores the loss's scale",
  claim:
    "Adam's update m̂/√v̂ is a dimensionless ratio: multiplying the loss by a constant (e.g. dollars → cents, ×100) leaves the update unchanged; that is why v̂ enters through a square root.",
  problemIds: ["2152272", "3194490"],
  cost: 0.7,
  fullCost: 14.9,
  async run(ctx: Context): Promise<ExperimentResult> {
    const sizes = {
      smoke: { seeds: 1, steps: 40, n: 40, d: 4 },
      quick: { seeds: 3, steps: 300, n: 200, d: 10 },
      full: { seeds: 10, steps: 1000, n: 400, d: 20 },
    }[ctx.mode];
    const seeds = seedsFor(ctx, sizes.seeds);
    const optimizers = {
      adamExact: () => adam({ lr: ADAM_LR, eps: 0 }),
      adamEps: () => adam({ lr: ADAM_LR, eps: EPS }),
      sgd: () => sgd({ lr: SGD_LR }),
    };
    const worst = {
      adamExact: FACTORS.map(() => 0),
      adamEps: FACTORS.map(() => 0),
      sgd: FACTORS.map(() => 0),
    } as Record<keyof typeof optimizers, (number | null)[]>;
    const epsShare = FACTORS.map(() => 0);
    const lossCurves: Record<string, number[][]> = {};
    let done = 0;
    for (const seed of seeds) {
      for (const [name, make] of Object.entries(optimizers) as [
        keyof typeof optimizers,
        () => GradientTransformation<unknown>,
      ][]) {
        const ref = run(make(), seed, 1, sizes.steps, sizes.n, sizes.d);
        FACTORS.forEach((c, i) => {
          const r = c === 1 ? ref : run(make(), seed, c, sizes.steps, sizes.n, sizes.d);
          const dev = deviation(r.path, ref.path);
          const prev = worst[name][i];
          worst[name][i] = dev === null || prev === null ? null : Math.max(prev!, dev);
          if (name === "adamExact") epsShare[i] = Math.max(epsShare[i]!, EPS / (c * ref.minSqrtVHat));
          if (seed === seeds[0] && name !== "adamExact") {
            lossCurves[`${name}:${c}`] = [...(lossCurves[`${name}:${c}`] ?? []), r.losses];
          }
        });
        ctx.progress(++done / (seeds.length * 3), `seed ${seed} ${name}`);
      }
    }
    const m: ScaleMeasurements = {
      factors: FACTORS,
      adamExact: worst.adamExact as number[],
      adamEps: worst.adamEps as number[],
      sgd: worst.sgd,
      epsShare,
    };
    const judgement = judgeScaleInvariance(m);
    // Log axes cannot show an exact 0: floor at 1e-17 (below float64's resolution of a unit path).
    const floor = (x: number | null) => (x === null ? Number.NaN : Math.max(x, 1e-17));
    const steps = Array.from({ length: sizes.steps + 1 }, (_, t) => t);
    const lossFigure = (name: "adamEps" | "sgd", label: string) =>
      lines({
        title: `${label}: loss L(w_t) (unscaled) for each factor c`,
        x: { label: "step" },
        y: { label: "L(w_t)", log: true },
        series: FACTORS.map((c) => ({ name: `c = ${c}`, x: steps, y: lossCurves[`${name}:${c}`]![0]! })),
      });
    const i1e3 = FACTORS.indexOf(1e-3);
    return {
      setup:
        `${ctx.mode} mode: logistic regression with n = ${sizes.n} points in d = ${sizes.d} dimensions (10 % flipped labels), full batch, ` +
        `loss multiplied by c ∈ {${FACTORS.join(", ")}}; ${sizes.steps} steps from w = 0 for Adam (lr ${ADAM_LR}, betas 0.9/0.999) with ε = 0 and ε = ${EPS}, ` +
        `and SGD (lr ${SGD_LR}); deviation = max over steps of ‖w_c − w_1‖ / max over steps of ‖w_1 − w_1(0)‖, worst of ${seeds.length} data seed(s).`,
      metrics: {
        factors: FACTORS,
        adamEps0Deviation: m.adamExact.map((x) => sig(x)),
        adamEps1e8Deviation: m.adamEps.map((x) => sig(x)),
        sgdDeviation: m.sgd.map((x) => (x === null ? null : sig(x))),
        epsShareOfDenominator: epsShare.map((x) => sig(x)),
        note: "sgdDeviation is null where SGD left the finite numbers",
      },
      // ε = 1e-8's worst c is what the verdict uses; c = 1e-3 is the brief's smallest factor.
      keyNumber: `Adam ε=0: ≤ ${sig(Math.max(...m.adamExact), 2)}; ε=1e-8: ≤ ${sig(Math.max(...m.adamEps), 2)} (${sig(m.adamEps[i1e3]!, 2)} at c=1e-3); SGD: ${sig(Math.max(...m.sgd.map((x) => x ?? Infinity)), 2)} (deviation / path length)`,
      judgement,
      figures: [
        {
          title: "Trajectory change vs loss scale",
          caption:
            "Largest distance between the run on c·L and the run on L, relative to the path length (log–log; exact zeros drawn at 1e-17). Adam with ε = 0 stays at rounding level for every c; with ε = 1e-8 it departs once c·√v̂ approaches ε; SGD's step is simply c times larger.",
          spec: lines({
            x: { label: "loss factor c", log: true },
            y: { label: "max ‖w_c − w_1‖ / path length", log: true },
            series: [
              { name: "Adam, ε = 0", x: FACTORS, y: m.adamExact.map(floor) },
              { name: "Adam, ε = 1e-8", x: FACTORS, y: m.adamEps.map(floor) },
              { name: "SGD", x: FACTORS, y: m.sgd.map(floor) },
            ],
            rules: [{ y: 1e-3, label: "0.1 % of the path" }],
          }),
        },
        {
          title: "Adam's loss curves for every c",
          caption:
            "The same loss L (not c·L) along Adam's (ε = 1e-8) runs: the curves lie on top of each other except where c is so small that ε dominates √v̂.",
          spec: lossFigure("adamEps", "Adam ε = 1e-8"),
        },
        {
          title: "SGD's loss curves for every c",
          caption:
            "SGD at a fixed lr: small c freezes it, large c makes it jump around — the lr would have to be retuned by 1/c.",
          spec: lossFigure("sgd", "SGD"),
        },
      ],
      seeds,
    };
  },
};
