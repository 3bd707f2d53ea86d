/**
 * Which basin does a run end in? The shared measurement of the schedule experiments (sgdr,
 * cyclical) on a multi-basin landscape: run an optimizer (with its lr schedule) from many seeded
 * starts, optionally with Gaussian gradient noise, then classify the final iterate by the minimum
 * that plain gradient descent from it reaches (its catchment basin), and whether it has settled.
 * A run *succeeds* when its final iterate lies in the global minimum's basin and within `settle` of
 * that minimum's value: found the best basin and converged in it, as a usable solution must.
 */

import type { Landscape } from "@momenta/landscapes";
import { makeRunner } from "@momenta/landscapes";
import type { GradientTransformation } from "momenta-optim";
import { cosineAnnealingLr, type Hyper, rng, sgd } from "momenta-optim";
import { bootstrapCi, mean, sig } from "../measure/stats.ts";

/** Uniform starts over the landscape's window, from one seed. */
export function uniformStarts(landscape: Landscape, count: number, seed: number): [number, number][] {
  const [x0, x1, y0, y1] = landscape.bounds;
  const u = rng(seed);
  return Array.from({ length: count }, () => [x0 + (x1 - x0) * u(), y0 + (y1 - y0) * u()]);
}

/**
 * The index (in `landscape.minima`) of the minimum gradient descent reaches from (x, y), or −1 when it
 * reaches none of them. GD at lr 0.1 is stable in every well of the Lab's multi-basin landscape
 * (curvatures ≤ 4.5, so lr·h ≤ 0.45) and follows the gradient flow closely enough to respect the basin borders.
 */
export function catchment(landscape: Landscape, x: number, y: number, maxSteps = 20000): number {
  const runner = makeRunner(landscape, sgd({ lr: 0.1 }), { start: [x, y] });
  for (let t = 0; t < maxSteps; t++) {
    const [nx, ny] = runner.step();
    const moved = Math.hypot(nx - x, ny - y);
    x = nx;
    y = ny;
    if (moved < 1e-8) break;
  }
  let best = -1;
  let dist = 0.05; // must end within 0.05 of a listed minimum
  landscape.minima.forEach((m, i) => {
    const d = Math.hypot(m.point[0] - x, m.point[1] - y);
    if (d < dist) {
      dist = d;
      best = i;
    }
  });
  return best;
}

export interface HopOptions {
  steps: number;
  /** Gradient noise σ per coordinate (0: exact gradients); start i uses noise seed noiseSeed + i. */
  sigma: number;
  noiseSeed: number;
  /** Success needs f(final) ≤ f(global minimum) + settle. */
  settle: number;
}

export interface HopOutcome {
  /** Catchment basin (index into minima, −1 none) of each start's final iterate. */
  basins: number[];
  /** f(final) − f(global minimum) per start. */
  gaps: number[];
  /** 1 when the run succeeded (global basin and settled), else 0, per start. */
  success: number[];
  /** The largest f seen after the first 10 % of steps, per start (how violent the later jumps are). */
  lateMax: number[];
}

export function hop<S>(
  landscape: Landscape,
  make: () => GradientTransformation<S>,
  starts: readonly (readonly [number, number])[],
  o: HopOptions,
): HopOutcome {
  const fmin = landscape.minima[0]!.value;
  const out: HopOutcome = { basins: [], gaps: [], success: [], lateMax: [] };
  starts.forEach((start, i) => {
    const runner = makeRunner(landscape, make(), {
      start,
      ...(o.sigma > 0 ? { noise: { sigma: o.sigma, seed: o.noiseSeed + i } } : {}),
    });
    let p: [number, number, number] = [start[0], start[1], landscape.value(start[0], start[1])];
    let lateMax = Number.NEGATIVE_INFINITY;
    const late = Math.floor(o.steps / 10);
    for (let t = 0; t < o.steps; t++) {
      p = runner.step();
      if (t >= late && p[2] > lateMax) lateMax = p[2];
    }
    const finite = Number.isFinite(p[0]) && Number.isFinite(p[1]);
    const basin = finite ? catchment(landscape, p[0], p[1]) : -1;
    const gap = finite ? p[2] - fmin : Number.POSITIVE_INFINITY;
    out.basins.push(basin);
    out.gaps.push(gap);
    out.success.push(basin === 0 && gap <= o.settle ? 1 : 0);
    out.lateMax.push(lateMax);
  });
  return out;
}

export interface Share {
  estimate: number;
  lo: number;
  hi: number;
}

/** The success share with a 95 % bootstrap interval. */
export function share(values: readonly number[], seed = 1): Share {
  const ci = bootstrapCi(values, { seed, resamples: 1000 });
  return { estimate: ci.estimate, lo: ci.lo, hi: ci.hi };
}

/** Paired difference a − b of two 0/1 outcomes over the same starts and noise seeds, with a 95 % interval. */
export function pairedDifference(a: readonly number[], b: readonly number[], seed = 1): Share {
  if (a.length !== b.length) throw new Error("pairedDifference: outcomes differ in length");
  const d = a.map((v, i) => v - b[i]!);
  if (d.length === 0) return { estimate: 0, lo: 0, hi: 0 };
  const ci = bootstrapCi(d, { seed, resamples: 1000 });
  return { estimate: mean(d), lo: ci.lo, hi: ci.hi };
}

/** A paired difference as "x pp [lo, hi]": percentage points with the 95 % interval. */
export const formatPp = (d: Share) =>
  `${sig(100 * d.estimate, 2)} pp [${sig(100 * d.lo, 2)}, ${sig(100 * d.hi, 2)}]`;

/** A clear gain: at least `min` with the 95 % interval above 0. */
export const clearGain = (d: Share, min: number) => d.lo > 0 && d.estimate >= min;

/** An lr schedule scaled to a peak lr over a run of `steps` steps. */
export interface PeakSchedule {
  name: string;
  make(peak: number, steps: number): Hyper;
}

/** The baselines every schedule experiment compares with: a constant lr and one cosine anneal to 0. */
export const BASELINE_SCHEDULES: PeakSchedule[] = [
  { name: "constant", make: (peak) => peak },
  { name: "cosine", make: (peak, steps) => cosineAnnealingLr({ lr: peak, tMax: steps }) },
];

/** Each schedule's lr / peak over `steps` steps, as line-plot series. */
export function scheduleSeries(schedules: readonly PeakSchedule[], steps: number) {
  return schedules.map((s) => {
    const h = s.make(1, steps);
    const xs = Array.from({ length: steps }, (_, t) => t);
    return { name: s.name, x: xs, y: xs.map((t) => (typeof h === "number" ? h : h(t))) };
  });
}

export interface PeakSearch {
  /** The peak lr with the highest success share (the first on ties) and its outcome. */
  peak: number;
  out: HopOutcome;
  /** The success share at every peak of the grid, for the record. */
  byPeak: { peak: number; share: number }[];
}

/**
 * Runs `hop` at every peak lr of the grid (a fresh optimizer per start from `make(peak)`); keeps the
 * best. A grid whose best lies on its edge (no other peak as good) is widened beyond that edge, one
 * value of the 1–3–10 sequence at a time, up to `maxWidenings` times: the best must be interior for
 * the comparison to be fair. The runs are deterministic, so each peak is run once.
 */
export function bestPeak<S>(
  landscape: Landscape,
  peaks: readonly number[],
  make: (peak: number) => GradientTransformation<S>,
  starts: readonly (readonly [number, number])[],
  o: HopOptions,
  maxWidenings = 3,
): PeakSearch {
  const runs = new Map<number, HopOutcome>();
  let grid = [...peaks].sort((a, b) => a - b);
  for (let w = 0; ; w++) {
    let best: { peak: number; out: HopOutcome } | null = null;
    const byPeak: { peak: number; share: number }[] = [];
    for (const peak of grid) {
      let out = runs.get(peak);
      if (!out) {
        out = hop(landscape, () => make(peak), starts, o);
        runs.set(peak, out);
      }
      const sh = mean(out.success);
      byPeak.push({ peak, share: sig(sh, 4) });
      if (!best || sh > mean(best.out.success)) best = { peak, out };
    }
    const top = mean(best!.out.success);
    const ties = grid.filter((p) => mean(runs.get(p)!.success) === top).length;
    const low = best!.peak === grid[0];
    const high = best!.peak === grid.at(-1);
    if (w === maxWidenings || ties > 1 || !(low || high)) return { ...best!, byPeak };
    grid = low ? [nextNice(grid[0]!, -1), ...grid] : [...grid, nextNice(grid.at(-1)!, 1)];
  }
}

/** The neighbour of v in the sequence …, 0.1, 0.3, 1, 3, 10, … (1–3–10, as the grids are spaced). */
export function nextNice(v: number, dir: 1 | -1): number {
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = v / 10 ** e;
  const lower = m < 2;
  const next = dir === 1 ? (lower ? 3 * 10 ** e : 10 ** (e + 1)) : lower ? 3 * 10 ** (e - 1) : 10 ** e;
  return Number(next.toPrecision(6));
}

/** A periodic schedule (restarts, cycles) against the two baselines at one noise level. */
export interface AgainstBaselines {
  noise: number;
  vsConst: Share;
  vsCos: Share;
}

/**
 * What a periodic schedule's claim turns on: that the periods themselves help. A single cosine
 * anneal of the same budget has the annealing without the periods, so the schedule must beat it (and
 * the constant lr) by `min` with the 95 % interval above 0. "Does not hold" needs the interval against
 * it: a gain of `min` over cosine excluded at every noise level (hi < min), or the schedule
 * significantly worse than cosine at one (hi < 0). Otherwise the test could
 * not resolve it: inconclusive, with the smallest gain it could have seen (its interval's half-width,
 * at least `min`).
 */
export function judgePeriodic(
  name: string,
  parts: readonly AgainstBaselines[],
  min: number,
): { kind: "helps" | "some" | "no" | "unresolved"; when: string; helped: AgainstBaselines[]; note: string } {
  const helps = (p: AgainstBaselines) => clearGain(p.vsConst, min) && clearGain(p.vsCos, min);
  const helped = parts.filter(helps);
  const level = (p: AgainstBaselines) => (p.noise === 0 ? "without noise" : `with noise σ=${p.noise}`);
  if (helped.length === parts.length && parts.length > 0)
    return { kind: "helps", when: "", helped, note: "" };
  if (helped.length > 0) {
    const when = helped.every((p) => p.noise > 0)
      ? "gradient noise is present"
      : "the gradient is noise-free";
    return { kind: "some", when, helped, note: "" };
  }
  const anneal = parts
    .filter((p) => clearGain(p.vsConst, min))
    .map((p) => `${level(p)} its ${sig(100 * p.vsConst.estimate, 2)} pp over a constant lr`);
  const annealNote = anneal.length
    ? ` What ${name} gains over a constant lr (${anneal.join(", ")}) one cosine anneal of the same budget gains as well: it is annealing's.`
    : "";
  const worse = parts.filter((p) => p.vsCos.hi < 0);
  if (worse.length > 0 || parts.every((p) => p.vsCos.hi < min)) {
    return {
      kind: "no",
      when: "",
      helped,
      note:
        worse.length > 0
          ? `One cosine anneal of the same budget does significantly better ${worse.map((p) => `${level(p)} (${formatPp(p.vsCos)})`).join(", ")}, and at no noise level do the periods beat it.${annealNote}`
          : `The periods add no gain of ${100 * min} pp or more over one cosine anneal at any noise level (every interval's upper end is below it).${annealNote}`,
    };
  }
  const resolvable = Math.max(min, ...parts.map((p) => (p.vsCos.hi - p.vsCos.lo) / 2));
  return {
    kind: "unresolved",
    when: "",
    helped,
    note: `No clear gain over one cosine anneal, but the intervals do not exclude one either: this test resolves gains of about ${sig(100 * resolvable, 2)} pp or more.${annealNote}`,
  };
}

/** The deciding quantity of a periodic schedule: its gain over cosine where it is largest (pp). */
export function periodicDeciding(name: string, parts: readonly AgainstBaselines[], min: number) {
  const best = Math.max(...parts.map((p) => p.vsCos.estimate));
  return {
    label: `${name} − one cosine anneal, success at the noise level where it is largest (pp)`,
    value: 100 * best,
    threshold: `≥ ${100 * min} pp with the 95 % interval above 0`,
  };
}
