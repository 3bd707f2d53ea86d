/**
 * The few statistics the Lab reports: means and quantiles over seeds, seeded bootstrap intervals,
 * least-squares fits (a log-log slope is a power law's exponent), first crossings of a target.
 */
import { Mulberry32 } from "momenta-optim";

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error("mean of no values");
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** The sample standard deviation (n − 1); 0 for a single value. */
export function std(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i]! - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error("quantile of no values");
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

/**
 * A percentile bootstrap interval for `statistic` (default: the mean), resampling with a seeded
 * generator so the same data and seed give the same interval.
 */
export function bootstrapCi(
  values: ArrayLike<number>,
  options: {
    level?: number;
    resamples?: number;
    seed?: number;
    statistic?: (v: Float64Array) => number;
  } = {},
): Interval {
  const { level = 0.95, resamples = 2000, seed = 0, statistic = mean } = options;
  const n = values.length;
  if (n === 0) throw new Error("bootstrap of no values");
  const data = Float64Array.from(values);
  const g = new Mulberry32(seed);
  const stats = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = data[Math.floor(g.next() * n)]!;
    stats[r] = statistic(sample);
  }
  const alpha = (1 - level) / 2;
  return { estimate: statistic(data), lo: quantile(stats, alpha), hi: quantile(stats, 1 - alpha) };
}

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination. */
  r2: number;
}

/** Ordinary least squares y ≈ slope·x + intercept. */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const n = xs.length;
  if (n !== ys.length || n < 2) throw new Error("linearFit needs two equally long series of ≥ 2 points");
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0) throw new Error("linearFit: all x are equal");
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** The exponent of a power law y ≈ c·x^slope: a straight-line fit in log-log (all values > 0). */
export function loglogSlope(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const lx = Array.from(xs, (x) => Math.log(x));
  const ly = Array.from(ys, (y) => Math.log(y));
  if (![...lx, ...ly].every(Number.isFinite)) throw new Error("loglogSlope needs positive finite values");
  return linearFit(lx, ly);
}

/** The first index whose value is ≤ target (or ≥ when `above`), or null if it never gets there. */
export function firstCrossing(values: ArrayLike<number>, target: number, above = false): number | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (above ? v >= target : v <= target) return i;
  }
  return null;
}

export interface Band {
  mean: number[];
  lo: number[];
  hi: number[];
}

/** Pointwise mean and [q, 1 − q] quantiles over equally long runs (one run per seed). */
export function seedBand(runs: readonly ArrayLike<number>[], q = 0.1): Band {
  if (runs.length === 0) throw new Error("seedBand of no runs");
  const len = runs[0]!.length;
  if (runs.some((r) => r.length !== len)) throw new Error("seedBand: runs differ in length");
  const band: Band = { mean: [], lo: [], hi: [] };
  const column = new Float64Array(runs.length);
  for (let i = 0; i < len; i++) {
    runs.forEach((r, k) => {
      column[k] = r[i]!;
    });
    band.mean.push(mean(column));
    band.lo.push(quantile(column, q));
    band.hi.push(quantile(column, 1 - q));
  }
  return band;
}

/** Round for reports: `digits` significant digits, exact integers kept. */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  return Number(x.toPrecision(digits));
}
