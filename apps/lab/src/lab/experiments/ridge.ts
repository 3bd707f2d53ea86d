/**
 * ridge — Adam as an iterative ridge-regression solver: does it reach the closed-form solution,
 * and at what sizes is iterating cheaper than solving directly?
 *
 * Problem (src/lab/problems/ridge.ts): f(w) = ½·(1/n)·‖Xw − y‖² + ½·λ‖w‖² with n = 4d samples and
 * feature scales log-spaced 0.3 … 3 (a condition number of about 10²), closed form by Cholesky.
 * Iterations: Adam at a constant lr, Adam with a cosine decay to 0, and GD at lr 1/L (L the top
 * eigenvalue of the Hessian XᵀX/n + λI). Cost model: the direct solve costs n·d²/2 (Gram matrix)
 * + d³/3 (Cholesky) multiply-adds, one gradient 2·n·d; so iterating wins only when the steps needed
 * are fewer than about d/4 + d²/(6n). Both are also timed on this machine — a measurement
 * reported, never asserted (timings are noisy).
 */
import { adam, cosineAnnealingLr, createOptimizer, type Optimizer, sgd } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement, Mode } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { firstCrossing, median, seedBand, sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { distance, type LeastSquares, leastSquares, norm } from "../problems/least-squares.ts";
import { ridge, ridgeClosedForm } from "../problems/ridge.ts";

const LAMBDA = 0.01;
const TOLS = [1e-3, 1e-6] as const;

interface Sizes {
  d: number;
  steps: number;
  seeds: number;
  record: number;
  /** Sizes for the timing comparison. */
  timingDs: number[];
  timingMaxSteps: number;
}

const SIZES: Record<Mode, Sizes> = {
  smoke: { d: 8, steps: 300, seeds: 1, record: 10, timingDs: [8, 16], timingMaxSteps: 500 },
  // 4000 steps: at 2500 the cosine run's lr reached 0 at 5e-6 from w* in one seed of three.
  quick: { d: 32, steps: 4000, seeds: 3, record: 10, timingDs: [16, 32, 64, 128], timingMaxSteps: 4000 },
  // Timing stops at d = 512: d = 1024 cost 105 of a run's 161 s, and the cost model's crossover uses
  // the median steps over the timed sizes, which barely move with d (635–836 to 1e-3, d = 16…1024).
  full: {
    d: 128,
    steps: 6000,
    seeds: 4,
    record: 20,
    timingDs: [16, 32, 64, 128, 256, 512],
    timingMaxSteps: 6000,
  },
};

function problem(d: number, seed: number): LeastSquares {
  const scales = Array.from({ length: d }, (_, j) => 0.3 * 10 ** (j / Math.max(1, d - 1)));
  return leastSquares({ n: 4 * d, scales, noise: 0.1, seed });
}

/** Top eigenvalue of the Hessian XᵀX/n + λI, by power iteration on the gradient map. */
function topEigen(p: LeastSquares): number {
  const f = ridge(p, LAMBDA);
  let v = new Float64Array(p.d).fill(1);
  const hv = new Float64Array(p.d);
  const g0 = new Float64Array(p.d);
  f.gradient(new Float64Array(p.d), g0);
  let est = 0;
  for (let it = 0; it < 100; it++) {
    const nv = norm(v);
    v = v.map((x) => x / nv);
    // The gradient is affine: H·v = ∇f(v) − ∇f(0).
    f.gradient(v, hv);
    for (let j = 0; j < p.d; j++) hv[j]! -= g0[j]!;
    est = norm(hv);
    v = hv.slice();
  }
  return est;
}

interface Method {
  name: string;
  make(lMax: number, steps: number): Optimizer;
}

const METHODS: Method[] = [
  { name: "Adam lr 0.01", make: () => adam({ lr: 0.01 }) },
  {
    name: "Adam lr 0.01, cosine",
    make: (_, steps) => adam({ lr: cosineAnnealingLr({ lr: 0.01, tMax: steps }) }),
  },
  { name: "GD lr 1/L", make: (l) => sgd({ lr: 1 / l }) },
];

/** Relative distance to the closed form, every `record` steps (index 0 = start). */
function curve(p: LeastSquares, tx: Optimizer, wStar: Float64Array, steps: number, record: number): number[] {
  const f = ridge(p, LAMBDA);
  const w = new Float64Array(p.d);
  const g = new Float64Array(p.d);
  const opt = createOptimizer(tx, { w });
  const scale = norm(wStar);
  const out = [distance(w, wStar) / scale];
  for (let t = 1; t <= steps; t++) {
    f.gradient(w, g);
    opt.step({ w: g });
    if (t % record === 0) out.push(distance(w, wStar) / scale);
  }
  return out;
}

/**
 * One run until ‖w − w*‖ ≤ tol·‖w*‖ for each tolerance in turn (loosest first): the steps and the
 * flops at which each was first reached (null: not within maxSteps). Costs are counted, not timed, so
 * the report is the same on every run and every machine.
 */
function costToTolerances(p: LeastSquares, tx: Optimizer, wStar: Float64Array, maxSteps: number) {
  const f = ridge(p, LAMBDA);
  const w = new Float64Array(p.d);
  const g = new Float64Array(p.d);
  const opt = createOptimizer(tx, { w });
  const scale = norm(wStar);
  const reached: { steps: number | null; flops: number }[] = TOLS.map(() => ({ steps: null, flops: 0 }));
  let next = 0;
  for (let t = 1; t <= maxSteps && next < TOLS.length; t++) {
    f.gradient(w, g);
    opt.step({ w: g });
    while (next < TOLS.length && distance(w, wStar) <= TOLS[next]! * scale) {
      reached[next] = { steps: t, flops: t * f.gradientFlops };
      next++;
    }
  }
  return reached;
}

export interface RidgeMeasurements {
  /** Worst (over seeds) final relative distance to the closed form, per method. */
  finalDistance: Record<string, number>;
  /** The d beyond which constant-lr Adam to 1e-3 costs fewer flops than the direct solve (reported, not judged). */
  crossoverD?: number | null;
}

/**
 * "Reaches the closed-form solution" = relative distance ≤ 1e-6 in every seed (six digits: far
 * below the statistical error of any regression, so nothing is left to gain). "Practically" = ≤
 * 1e-3 (below the estimation noise of this problem, ~1e-2). Either Adam variant may qualify.
 */
export function judgeRidge(m: RidgeMeasurements): Judgement {
  const adam = Object.entries(m.finalDistance).filter(([k]) => k.startsWith("Adam"));
  const nums = Object.entries(m.finalDistance)
    .map(([k, v]) => `${k}: ${sig(v)}`)
    .join(", ");
  const cost =
    m.crossoverD === undefined
      ? ""
      : ` As for cost: by flop count Adam beats the Cholesky solve only beyond d ≈ ${m.crossoverD ?? "—"} (n = 4d here; a larger n barely moves it, both costs grow ∝ n).`;
  const exact = adam.filter(([, v]) => v <= TOLS[1]);
  const close = adam.filter(([, v]) => v <= TOLS[0]);
  // "holds" needs every Adam variant at 1e-6, so the worst one decides; a non-finite distance (a run
  // that blew up) is reported as the cap, which fails both tolerances as the judge does.
  const capped = (v: number) => (Number.isFinite(v) ? Math.min(v, 1e3) : 1e3);
  const deciding = {
    label: "worst final ‖w − w*‖/‖w*‖ over the Adam variants and seeds (capped at 1e3)",
    value: Math.max(0, ...adam.map(([, v]) => capped(v))),
    threshold: `≤ ${TOLS[1].toExponential()} for every variant (≤ ${TOLS[0].toExponential()}: three digits)`,
  };
  if (exact.length === adam.length)
    return {
      verdict: "holds",
      reason: `Worst final relative distance to the closed form — ${nums}: every Adam run is within 1e-6.${cost}`,
      deciding,
    };
  if (exact.length > 0)
    return {
      verdict: `holds only when run as ${exact.map(([k]) => k).join(", ")}`,
      reason: `Worst final relative distance — ${nums}: only ${exact.map(([k]) => k).join(", ")} get within 1e-6.${cost}`,
      deciding,
    };
  if (close.length > 0)
    return {
      verdict: "holds only when three digits are enough",
      reason: `Worst final relative distance — ${nums}: Adam gets within 1e-3 but not 1e-6.${cost}`,
      deciding,
    };
  return {
    verdict: "does not hold",
    reason: `Worst final relative distance — ${nums}: no Adam run gets within 1e-3.`,
    deciding,
  };
}

export const experiment: Experiment = {
  id: "ridge",
  title: "Adam as a ridge-regression solver",
  claim:
    "Ridge regression has an exact closed-form solution, but for very large datasets the direct solve is prohibitively expensive; Adam, started from a random point, solves it iteratively and walks step by step to the optimum.",
  problemIds: ["3096042"],
  cost: 3.4,
  fullCost: 75.1,
  async run(ctx): Promise<ExperimentResult> {
    const sz = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, sz.seeds);
    const curves: number[][][] = METHODS.map(() => []);
    seeds.forEach((seed, si) => {
      const p = problem(sz.d, seed);
      const wStar = ridgeClosedForm(p, LAMBDA).w;
      const L = topEigen(p);
      METHODS.forEach((m, mi) => {
        curves[mi]!.push(curve(p, m.make(L, sz.steps), wStar, sz.steps, sz.record));
      });
      ctx.progress((0.5 * (si + 1)) / seeds.length, `curves, seed ${seed}`);
    });
    const finalDistance = Object.fromEntries(
      METHODS.map((m, mi) => [m.name, Math.max(...curves[mi]!.map((c) => c.at(-1)!))]),
    );
    const stepsTo = (mi: number, tol: number) =>
      curves[mi]!.map((c) => {
        const k = firstCrossing(c, tol);
        return k === null ? null : k * sz.record;
      });

    // Timing: direct solve vs iterating to each tolerance (constant-lr Adam and GD, which need no horizon).
    const timing = sz.timingDs.map((d, di) => {
      const p = problem(d, seeds[0]!);
      const direct = { flops: ridgeClosedForm(p, LAMBDA).flops };
      const wStar = ridgeClosedForm(p, LAMBDA).w;
      const L = topEigen(p);
      const iterative = Object.fromEntries(
        [METHODS[0]!, METHODS[2]!].flatMap((m) => {
          const reached = costToTolerances(p, m.make(L, sz.timingMaxSteps), wStar, sz.timingMaxSteps);
          return TOLS.map((tol, k) => {
            const r = reached[k]!;
            return [
              `${m.name} to ${tol}`,
              {
                steps: r.steps,
                flops: r.steps === null ? null : r.flops,
                flopRatio: r.steps === null ? null : sig(r.flops / direct.flops),
              },
            ];
          });
        }),
      );
      ctx.progress(0.5 + (0.5 * (di + 1)) / sz.timingDs.length, `timing d = ${d}`);
      return { d, n: 4 * d, directFlops: Math.round(direct.flops), iterative };
    });
    // The smallest d at which each iteration cost fewer flops than the direct solve (null: never).
    const keys = Object.keys(timing[0]!.iterative);
    const crossover = Object.fromEntries(
      keys.map((k) => {
        const row = timing.find((t) => {
          const it = t.iterative[k]!;
          return it.flops !== null && it.flops < t.directFlops;
        });
        return [k, row ? row.d : null];
      }),
    );
    // Cost model with n = 4d: direct 2d³ + d³/3, iteration steps·8d², so iterating wins for d > (24/7)·steps.
    const modelCrossover = Object.fromEntries(
      keys.map((k) => {
        const steps = timing.map((t) => t.iterative[k]!.steps).filter((s): s is number => s !== null);
        return [k, steps.length ? Math.round((24 / 7) * median(steps)) : null];
      }),
    );
    const judgement = judgeRidge({
      finalDistance,
      crossoverD: modelCrossover[`${METHODS[0]!.name} to ${TOLS[0]}`] ?? null,
    });
    const recordAt = curves[0]![0]!.map((_, k) => k * sz.record);
    const adamConst = stepsTo(0, 1e-3);
    const gdSteps = stepsTo(2, 1e-6);
    return {
      setup:
        `Ridge regression (${ctx.mode} mode), λ = ${LAMBDA}: d = ${sz.d} weights, n = ${4 * sz.d} samples, feature scales log-spaced 0.3 … 3, ` +
        `label noise 0.1; ${sz.steps} full-batch steps from w = 0 of Adam (lr 0.01, betas (0.9, 0.999)), Adam with cosine decay 0.01 → 0 ` +
        `over the run, and GD at lr 1/L; ${sz.seeds} seed(s). Closed form by Gram matrix + Cholesky. Cost (seed ${seeds[0]}, flops ` +
        `counted): d ∈ {${sz.timingDs.join(", ")}}, n = 4d, direct solve vs constant-lr Adam and GD run until the ` +
        `relative distance is ≤ 1e-3 and ≤ 1e-6 (at most ${sz.timingMaxSteps} steps).`,
      metrics: {
        finalDistance: Object.fromEntries(Object.entries(finalDistance).map(([k, v]) => [k, sig(v)])),
        stepsTo1e3: Object.fromEntries(METHODS.map((m, mi) => [m.name, stepsTo(mi, 1e-3)])),
        stepsTo1e6: Object.fromEntries(METHODS.map((m, mi) => [m.name, stepsTo(mi, 1e-6)])),
        cost: { rows: timing, crossoverD: crossover },
        // From the flop model and the (deterministic) step counts: the d beyond which iterating is cheaper.
        modelCrossoverD: modelCrossover,
      },
      keyNumber: `worst final ‖w − w*‖/‖w*‖ after ${sz.steps} steps: Adam ${sig(finalDistance[METHODS[0]!.name]!, 2)}, Adam + cosine ${sig(finalDistance[METHODS[1]!.name]!, 2)}, GD ${sig(finalDistance[METHODS[2]!.name]!, 2)}; Adam beats Cholesky only beyond d ≈ ${modelCrossover[`${METHODS[0]!.name} to ${TOLS[0]}`] ?? "—"} (flop count, to 1e-3)`,
      judgement,
      figures: [
        {
          title: `Distance to the closed-form ridge solution (d = ${sz.d}, n = ${4 * sz.d})`,
          caption: `With exact gradients Adam at a constant lr converges linearly all the way to rounding level (1e-3 after ${adamConst.map((s) => s ?? "—").join("/")} steps per seed); the cosine decay only slows its end. GD at 1/L is slower on these unevenly scaled features (1e-6 after ${gdSteps.map((s) => s ?? "—").join("/")} steps). Bands: min–max over seeds.`,
          spec: lines({
            x: { label: "step" },
            y: { label: "‖w − w*‖ / ‖w*‖", log: true },
            series: METHODS.map((m, mi) => {
              const b = seedBand(curves[mi]!, 0);
              return { name: m.name, x: recordAt, y: b.mean, lo: b.lo, hi: b.hi };
            }),
            rules: [
              { y: 1e-3, label: "1e-3" },
              { y: 1e-6, label: "1e-6" },
            ],
          }),
        },
        {
          title: "Cost: direct solve vs iterating to a tolerance",
          caption: `Floating-point operations counted (not timed, so the figure is the same on every machine). The direct solve grows like n·d² ∝ d³ (n = 4d), an iteration like steps·n·d ∝ d², and the steps needed do not grow with d here: by the flop count iterating pays only beyond d ≈ ${Object.entries(
            modelCrossover,
          )
            .map(([k, v]) => `${v ?? "—"} (${k})`)
            .join(", ")}. A larger n does not help iteration: both costs grow in proportion to n.`,
          spec: lines({
            x: { label: "d (n = 4d)", log: true },
            y: { label: "flops", log: true },
            series: [
              { name: "direct (Cholesky)", x: timing.map((t) => t.d), y: timing.map((t) => t.directFlops) },
              ...keys.map((k) => ({
                name: k,
                x: timing.map((t) => t.d),
                y: timing.map((t) => t.iterative[k]!.flops ?? Number.NaN),
              })),
            ],
          }),
        },
      ],
      tables: [
        {
          caption: "Cost per size (flops; steps in brackets; — = tolerance not reached)",
          columns: ["d", "n", "direct flops", ...keys],
          rows: timing.map((t) => [
            t.d,
            t.n,
            t.directFlops.toExponential(2),
            ...keys.map((k) => {
              const it = t.iterative[k]!;
              return it.flops === null ? "—" : `${it.flops.toExponential(2)} (${it.steps})`;
            }),
          ]),
        },
      ],
      seeds,
    };
  },
};
