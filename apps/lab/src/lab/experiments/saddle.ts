/**
 * saddle — Adam leaves a saddle point sooner than GD: near the saddle the gradient along the escape
 * direction is tiny, GD's steps are as tiny as the gradient, while Adam divides by √v̂ and so turns a
 * tiny (or purely noisy) gradient into a step of about lr.
 *
 * Landscape: the bounded saddle f = x² − y² + y⁴/4 (saddle at 0 with f = 0, minima (0, ±√2) with
 * f = −1). Escape = f ≤ −0.25, a quarter of the way down to the minima. Two situations, several
 * seeds each: noise-free starts (1, y₀) with |y₀| = 10^U(−8, −2) and a random sign, and the exact
 * stable manifold (1, 0) with Gaussian gradient noise σ (without noise nothing ever leaves it: the
 * y-gradient is exactly 0). Each optimizer runs at its own best lr from a grid, chosen by the steps it
 * needs to reach the minimum (f ≤ −0.99 for good) from the noise-free starts — tuned for the whole
 * task, not for the escape alone; a sweep over a common lr grid is shown alongside.
 */

import { saddle } from "@momenta/landscapes";
import type { GradientTransformation } from "momenta-optim";
import { adam, rng, sgd } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement, TuningGrid } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { bootstrapCi, median, quantile, sig } from "../measure/stats.ts";
import { landscapeMap, lines } from "../plot/index.ts";
import { bestLr, geometricGrid, race, raceGrid } from "../problems/landscape-race.ts";

const OPTIMIZERS: { name: string; make(lr: number): GradientTransformation<unknown[]> }[] = [
  { name: "GD", make: (lr) => sgd({ lr }) },
  { name: "Momentum 0.9", make: (lr) => sgd({ lr, momentum: 0.9 }) },
  { name: "Adam", make: (lr) => adam({ lr }) },
];

/** Escaped once f ≤ f(saddle) − 0.25: a quarter of the depth of the minima (f = −1) below the saddle. */
const ESCAPE = -0.25;
/** "Reached the minimum" for the lr choice: within 1e-4 of f = −1, held for 20 steps (precise enough that
 * an lr which only throws the iterate about near the minimum does not count as arrived). */
const ARRIVE = -0.9999;

interface Sizes {
  seeds: number;
  sigmas: number[];
  maxSteps: number;
  lrRatio: number;
  sweepSeeds: number;
}

const SIZES: Record<"smoke" | "quick" | "full", Sizes> = {
  smoke: { seeds: 3, sigmas: [1e-3], maxSteps: 3000, lrRatio: 4, sweepSeeds: 2 },
  quick: { seeds: 24, sigmas: [1e-6, 1e-4, 1e-2], maxSteps: 20000, lrRatio: 2, sweepSeeds: 8 },
  full: { seeds: 64, sigmas: [1e-8, 1e-6, 1e-4, 1e-2], maxSteps: 50000, lrRatio: Math.SQRT2, sweepSeeds: 24 },
};

export interface SaddleMeasurements {
  /** Escape steps per optimizer (paired by seed) in the noise-free case; null = never escaped. */
  clean: Record<string, (number | null)[]>;
  /** Per σ: escape steps per optimizer (paired by seed). */
  noisy: { sigma: number; steps: Record<string, (number | null)[]> }[];
  maxSteps: number;
  /** Context for the reason (not the verdict): mean steps to the minimum at the chosen lrs. */
  toMinimum?: Record<string, number | null>;
}

// Thresholds, each with its reason.
/** Adam "escapes faster" when GD needs ≥ 1.5× its steps (median of the paired per-seed ratios) and the
 * 95 % bootstrap interval of that median excludes 1: escapes take tens of steps, so 1.5× is a gap of
 * many steps, and the interval guards against a few lucky seeds. */
const SPEEDUP = 1.5;

export interface Ratio {
  median: number;
  lo: number;
  hi: number;
}

/** Median of the paired ratios a/b with a bootstrap interval; a never-escaped run counts as maxSteps. */
export function pairedRatio(a: (number | null)[], b: (number | null)[], maxSteps: number, seed = 0): Ratio {
  const logs = a.map((v, i) => Math.log((v ?? maxSteps) / (b[i] ?? maxSteps)));
  const ci = bootstrapCi(logs, { statistic: median, seed });
  return { median: Math.exp(ci.estimate), lo: Math.exp(ci.lo), hi: Math.exp(ci.hi) };
}

function faster(r: Ratio): boolean {
  return r.median >= SPEEDUP && r.lo > 1;
}

export function judgeSaddle(m: SaddleMeasurements): Judgement {
  const clean = pairedRatio(m.clean.GD!, m.clean.Adam!, m.maxSteps);
  const noisy = m.noisy.map((n) => ({
    sigma: n.sigma,
    r: pairedRatio(n.steps.GD!, n.steps.Adam!, m.maxSteps),
  }));
  const fmt = (r: Ratio) => `${sig(r.median, 3)}× [${sig(r.lo, 3)}, ${sig(r.hi, 3)}]`;
  const reason =
    `GD needs ${fmt(clean)} Adam's escape steps without noise (start |y₀| ≤ 1e-2), and ` +
    noisy.map((n) => `${fmt(n.r)} with noise σ = ${n.sigma}`).join(", ") +
    ` (median paired ratio [95 % CI]; Adam "faster" needs ≥ ${SPEEDUP}× with the CI above 1).` +
    (m.toMinimum
      ? ` Reaching the minimum itself (f within 1e-4 of −1) takes ${Object.entries(m.toMinimum)
          .map(([k, v]) => `${k} ${v === null ? "—" : sig(v, 3)}`)
          .join(", ")} steps: leaving the saddle is only part of the trip.`
      : "");
  const cleanOk = faster(clean);
  const noisyOk = noisy.length > 0 && noisy.every((n) => faster(n.r));
  // The weakest condition decides (its CI clears 1 by far whenever the median clears 1.5). Only a
  // 0-step escape could make a ratio infinite (or 0/0): capped at 1e6, NaN counted as 0.
  const weakest = Math.min(clean.median, ...noisy.map((n) => n.r.median));
  const deciding = {
    label: "GD/Adam escape steps (median paired ratio), the smallest of noise-free and each σ (≤ 1e6)",
    value: Number.isNaN(weakest) ? 0 : Math.min(weakest, 1e6),
    threshold: `≥ ${SPEEDUP} with the 95 % CI above 1, in every condition`,
  };
  if (cleanOk && noisyOk) return { verdict: "holds", reason, deciding };
  if (noisyOk) return { verdict: "holds only when gradient noise is present", reason, deciding };
  if (cleanOk) return { verdict: "holds only when the gradient is noise-free", reason, deciding };
  return { verdict: "does not hold", reason, deciding };
}

export const experiment: Experiment = {
  id: "saddle",
  title: "Escaping a saddle point",
  claim:
    "Near a saddle point the gradient is almost zero and traditional algorithms get stuck; Adam escapes more " +
    "effectively: its momentum carries it past, and small random perturbations at the saddle are amplified by " +
    "its adaptive scaling so it slides quickly down the negative-curvature direction.",
  problemIds: ["3096040"],
  cost: 1,
  fullCost: 5.76,
  async run(ctx): Promise<ExperimentResult> {
    const tuning: TuningGrid[] = [];
    const sz = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, sz.seeds);
    const landscape = saddle();
    const lrs = geometricGrid(2 ** -8, 2, sz.lrRatio);
    // Noise-free starts: |y₀| log-uniform in [1e-8, 1e-2], random sign, one per seed.
    const starts: [number, number][] = seeds.map((s) => {
      const u = rng(s);
      const mag = 10 ** (-8 + 6 * u());
      return [1, u() < 0.5 ? -mag : mag];
    });
    const escaped = (_x: number, _y: number, f: number) => f <= ESCAPE;

    // 1. Each optimizer's lr: fastest to the minimum from the first few noise-free starts.
    const chosen: Record<string, number> = {};
    const toMinimum: Record<string, number | null> = {};
    const selection: Record<string, { lr: number; steps: number | null }[]> = {};
    for (const o of OPTIMIZERS) {
      const best = bestLr(landscape, o.make, lrs, starts.slice(0, Math.min(8, starts.length)), {
        maxSteps: sz.maxSteps,
        done: (_x, _y, f) => f <= ARRIVE,
        hold: 20,
      });
      {
        const g = raceGrid(o.name, best);
        if (g) tuning.push(g);
      }
      if (best.lr === null) throw new Error(`saddle: ${o.name} reached the minimum at no lr of the grid`);
      chosen[o.name] = best.lr;
      toMinimum[o.name] = best.steps;
      selection[o.name] = best.trials.map((t) => ({ lr: t.lr, steps: t.steps }));
    }
    ctx.progress(0.2, "lrs chosen");

    // 2. Escape steps at the chosen lrs, paired by seed.
    const clean: Record<string, (number | null)[]> = {};
    for (const o of OPTIMIZERS) {
      clean[o.name] = starts.map(
        (start) =>
          race(landscape, o.make(chosen[o.name]!), { start, maxSteps: sz.maxSteps, done: escaped }).steps,
      );
    }
    const noisy: SaddleMeasurements["noisy"] = sz.sigmas.map((sigma) => {
      const steps: Record<string, (number | null)[]> = {};
      for (const o of OPTIMIZERS) {
        steps[o.name] = seeds.map(
          (seed) =>
            race(landscape, o.make(chosen[o.name]!), {
              start: [1, 0],
              maxSteps: sz.maxSteps,
              done: escaped,
              noise: { sigma, seed },
            }).steps,
        );
      }
      return { sigma, steps };
    });
    ctx.progress(0.5, "escapes measured");

    // 3. The sweep: median escape steps over a common lr grid (noise-free starts, and the middle σ).
    const sweepSeeds = seeds.slice(0, sz.sweepSeeds);
    const midSigma = sz.sigmas[Math.floor(sz.sigmas.length / 2)]!;
    const sweep: { name: string; x: number[]; y: number[]; lo: number[]; hi: number[] }[] = [];
    for (const o of OPTIMIZERS) {
      for (const noiseOn of [false, true]) {
        const xs: number[] = [];
        const ys: number[] = [];
        const lo: number[] = [];
        const hi: number[] = [];
        for (const lr of lrs) {
          const runs = sweepSeeds.map(
            (seed, i) =>
              race(landscape, o.make(lr), {
                start: noiseOn ? [1, 0] : starts[i]!,
                maxSteps: sz.maxSteps,
                done: escaped,
                ...(noiseOn ? { noise: { sigma: midSigma, seed } } : {}),
              }).steps ?? sz.maxSteps,
          );
          xs.push(lr);
          ys.push(median(runs));
          lo.push(quantile(runs, 0.1));
          hi.push(quantile(runs, 0.9));
        }
        sweep.push({ name: `${o.name}${noiseOn ? ` σ=${midSigma}` : " no noise"}`, x: xs, y: ys, lo, hi });
      }
      ctx.progress(0.5 + (0.45 * (OPTIMIZERS.indexOf(o) + 1)) / OPTIMIZERS.length, `sweep ${o.name}`);
    }
    const commonLrWins = lrs.filter((_, k) => {
      const gd = sweep.find((s) => s.name === "GD no noise")!.y[k]!;
      const ad = sweep.find((s) => s.name === "Adam no noise")!.y[k]!;
      return ad < gd;
    }).length;

    const measurements: SaddleMeasurements = { clean, noisy, maxSteps: sz.maxSteps, toMinimum };
    const judgement = judgeSaddle(measurements);

    // Paths from one noise-free start, each optimizer at its chosen lr.
    const pathStart = starts.reduce((a, b) => (Math.abs(b[1]) < Math.abs(a[1]) ? b : a));
    const paths = OPTIMIZERS.map((o) => {
      const r = race(landscape, o.make(chosen[o.name]!), {
        start: pathStart,
        maxSteps: 300,
        done: () => false,
        record: true,
      });
      return { name: `${o.name} (lr ${sig(chosen[o.name]!, 3)})`, xs: r.xs!, ys: r.ys! };
    });

    const med = (v: (number | null)[]) => median(v.map((s) => s ?? sz.maxSteps));
    const cleanRatio = pairedRatio(clean.GD!, clean.Adam!, sz.maxSteps);
    const noisyRatios = noisy.map((n) => ({
      sigma: n.sigma,
      ...pairedRatio(n.steps.GD!, n.steps.Adam!, sz.maxSteps),
    }));
    return {
      setup:
        `Saddle f = x² − y² + y⁴/4 (saddle f = 0 at the origin, minima f = −1 at (0, ±√2)); escape = f ≤ ${ESCAPE}. ` +
        `GD, SGD momentum 0.9 and Adam (PyTorch defaults), each at its best lr from {${lrs.map((v) => sig(v, 3)).join(", ")}} ` +
        `by steps to f ≤ ${ARRIVE} (held 20 steps) from the first ${Math.min(8, starts.length)} noise-free starts. ` +
        `Noise-free: ${sz.seeds} starts (1, y₀), |y₀| = 10^U(−8,−2), random sign. Noisy: start (1, 0) exactly, ` +
        `gradient noise N(0, σ²) per coordinate, σ ∈ {${sz.sigmas.join(", ")}}, ${sz.seeds} seeds. ` +
        `Sweep: every lr of the grid, ${sz.sweepSeeds} seeds. At most ${sz.maxSteps} steps per run (${ctx.mode} mode).`,
      metrics: {
        chosenLr: chosen,
        stepsToMinimumAtChosenLr: toMinimum,
        medianEscapeClean: Object.fromEntries(OPTIMIZERS.map((o) => [o.name, med(clean[o.name]!)])),
        medianEscapeNoisy: noisy.map((n) => ({
          sigma: n.sigma,
          ...Object.fromEntries(OPTIMIZERS.map((o) => [o.name, med(n.steps[o.name]!)])),
        })),
        gdOverAdamClean: {
          median: sig(cleanRatio.median, 3),
          lo: sig(cleanRatio.lo, 3),
          hi: sig(cleanRatio.hi, 3),
        },
        gdOverAdamNoisy: noisyRatios.map((r) => ({
          sigma: r.sigma,
          median: sig(r.median, 3),
          lo: sig(r.lo, 3),
          hi: sig(r.hi, 3),
        })),
        neverEscaped: Object.fromEntries(
          OPTIMIZERS.map((o) => [
            o.name,
            clean[o.name]!.filter((s) => s === null).length +
              noisy.reduce((acc, n) => acc + n.steps[o.name]!.filter((s) => s === null).length, 0),
          ]),
        ),
        commonLrsWhereAdamEscapesSooner: `${commonLrWins}/${lrs.length}`,
        lrSelection: selection,
      },
      keyNumber:
        `GD/Adam escape steps: ${sig(cleanRatio.median, 3)}× noise-free, ` +
        noisyRatios.map((r) => `${sig(r.median, 3)}× at σ=${r.sigma}`).join(", "),
      judgement,
      figures: [
        {
          title: "Leaving the saddle",
          caption:
            `From (1, ${pathStart[1].toExponential(1)}), each optimizer at its chosen lr: all first slide toward the saddle ` +
            "along x; the question is how long each lingers there before moving along y to a minimum (red crosses).",
          spec: landscapeMap({ title: landscape.name, landscape, paths }),
        },
        {
          title: "Escape steps vs a common lr",
          caption:
            `Median steps to f ≤ ${ESCAPE} (band: 10–90 % over ${sz.sweepSeeds} seeds) when every optimizer uses the same lr. ` +
            "GD's escape time grows like log(1/|y₀|)/lr, Adam's like distance/lr whatever the gradient's size: " +
            "the gap is widest at small lr, and noise makes no difference to Adam.",
          spec: lines({
            title: "Escape steps vs lr",
            x: { label: "learning rate", log: true },
            y: { label: "median steps to escape", log: true },
            series: sweep,
          }),
        },
      ],
      grids: tuning,
      seeds,
    };
  },
};
