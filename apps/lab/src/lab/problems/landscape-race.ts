/**
 * Races an optimizer over a 2-D landscape until a stopping rule fires (a loss target, an escape, a
 * crossing), recording what the landscape experiments compare: the steps taken, the path length,
 * how often the direction reverses (zigzag), and, on request, the path itself for a map. `bestLr`
 * picks each optimizer's learning rate from a grid as the one that stops soonest, so every method
 * is compared at its own best setting rather than at one lr that suits some of them.
 */

import type { Landscape } from "@momenta/landscapes";
import { makeRunner } from "@momenta/landscapes";
import type { GradientTransformation } from "momenta-optim";
import { gridOf, onEdge, type TuningGrid } from "../experiment.ts";

export interface RaceOptions {
  start: readonly [number, number];
  maxSteps: number;
  /** True once the run has arrived (checked after every step, with the step count t ≥ 1). */
  done(x: number, y: number, f: number, t: number): boolean;
  /** Gradient noise σ per coordinate and its seed; exact gradients when omitted. */
  noise?: { sigma: number; seed: number };
  /**
   * Arrival must last: `done` has to keep holding for this many further steps (default 0), so an
   * optimizer that only swings through the target on its way elsewhere has not arrived yet.
   */
  hold?: number;
  /** Keep the path (every point, the start first) for a figure. */
  record?: boolean;
  /** A run is abandoned as diverged once f exceeds this (default: 1e6·(|f(start)| + 1)). */
  divergeAbove?: number;
}

export interface RaceResult {
  /** Steps until `done` first held (for good, see `hold`), or null when it never did within maxSteps
   * (or diverged). */
  steps: number | null;
  diverged: boolean;
  /** Steps actually taken (= steps when arrived). */
  taken: number;
  /** Σ‖Δp‖ over the steps taken. */
  pathLength: number;
  /** Share of consecutive step pairs pointing in opposite half-planes (Δpₜ·Δpₜ₋₁ < 0): the zigzag. */
  reversals: number;
  final: [number, number, number];
  xs?: number[];
  ys?: number[];
}

export function race<S>(landscape: Landscape, tx: GradientTransformation<S>, o: RaceOptions): RaceResult {
  const runner = makeRunner(landscape, tx, {
    start: o.start,
    ...(o.noise ? { noise: o.noise } : {}),
  });
  const f0 = landscape.value(o.start[0], o.start[1]);
  const limit = o.divergeAbove ?? 1e6 * (Math.abs(f0) + 1);
  let [px, py] = o.start;
  let dxPrev = 0;
  let dyPrev = 0;
  let pathLength = 0;
  let reversalCount = 0;
  let pairs = 0;
  const xs = o.record ? [px] : undefined;
  const ys = o.record ? [py] : undefined;
  let steps: number | null = null;
  let diverged = false;
  let taken = 0;
  const hold = o.hold ?? 0;
  let since: number | null = null;
  let last: [number, number, number] = [px, py, f0];
  for (let t = 1; t <= o.maxSteps; t++) {
    const [x, y, f] = runner.step();
    taken = t;
    last = [x, y, f];
    if (!Number.isFinite(f) || f > limit) {
      diverged = true;
      break;
    }
    const dx = x - px;
    const dy = y - py;
    pathLength += Math.hypot(dx, dy);
    if (t > 1) {
      pairs++;
      if (dx * dxPrev + dy * dyPrev < 0) reversalCount++;
    }
    dxPrev = dx;
    dyPrev = dy;
    px = x;
    py = y;
    xs?.push(x);
    ys?.push(y);
    if (o.done(x, y, f, t)) {
      since ??= t;
      if (t - since >= hold) {
        steps = since;
        break;
      }
    } else since = null;
  }
  return {
    steps,
    diverged,
    taken,
    pathLength,
    reversals: pairs > 0 ? reversalCount / pairs : 0,
    final: last,
    ...(xs && ys ? { xs, ys } : {}),
  };
}

export interface LrTrial {
  lr: number;
  /** Mean steps to arrive over the starts, or null (some start never arrived within the budget). */
  steps: number | null;
  diverged: boolean;
}

export interface BestLr {
  /** The lr that arrived soonest on average over the starts (null when none arrived from all). */
  lr: number | null;
  /** Mean steps over the starts at that lr. */
  steps: number | null;
  /** One result per start at that lr (empty when none). */
  results: RaceResult[];
  trials: LrTrial[];
}

/** Within this fraction of the best mean steps an lr counts as tied with it (see `raceGrid`). */
const TIE = 0.05;

/**
 * The grid's fastest lr, judged by the mean steps over several starts (one lucky start cannot pick
 * an lr). Runs the grid from the largest lr down and stops a trial once its total steps exceed the
 * best total so far by more than TIE (a slower lr cannot win or tie, so finishing it would only cost
 * time; one within TIE is finished, so the report sees the tie); ties go to the larger lr. With
 * `record`, the winner's runs are repeated with their paths kept.
 */
export function bestLr<S>(
  landscape: Landscape,
  make: (lr: number) => GradientTransformation<S>,
  lrs: readonly number[],
  starts: readonly (readonly [number, number])[],
  o: Omit<RaceOptions, "start">,
): BestLr {
  const order = [...lrs].sort((a, b) => b - a);
  let best: { lr: number; total: number; results: RaceResult[] } | null = null;
  const trials: LrTrial[] = [];
  for (const lr of order) {
    let total = 0;
    let ok = true;
    let diverged = false;
    const results: RaceResult[] = [];
    for (const start of starts) {
      const budget = Math.min(o.maxSteps, best ? Math.floor(best.total * (1 + TIE)) - total : o.maxSteps);
      if (budget < 1) {
        ok = false;
        break;
      }
      const r = race(landscape, make(lr), { ...o, start, maxSteps: budget, record: false });
      results.push(r);
      if (r.steps === null) {
        ok = false;
        diverged = r.diverged;
        break;
      }
      total += r.steps;
    }
    trials.push({ lr, steps: ok ? total / starts.length : null, diverged });
    if (ok && (!best || total < best.total)) best = { lr, total, results };
  }
  if (!best) return { lr: null, steps: null, results: [], trials };
  const lr = best.lr;
  const results = o.record
    ? starts.map((start) => race(landscape, make(lr), { ...o, start, record: true }))
    : best.results;
  return { lr, steps: best.total / starts.length, results, trials };
}

/** A geometric grid lo·ratio^k up to hi (inclusive, within rounding). */
export function geometricGrid(lo: number, hi: number, ratio: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi * (1 + 1e-9); v *= ratio) out.push(Number(v.toPrecision(6)));
  return out;
}

/**
 * The lr grid `bestLr` searched, as the report's tuning grid (fewer mean steps is better; a failed lr
 * scores −∞). Within 5 % of the best mean steps counts as as good: the difference one start placed
 * otherwise makes.
 */
export function raceGrid(optimizer: string, b: BestLr): TuningGrid | undefined {
  if (b.lr === null || b.steps === null) return undefined;
  const scored = [...b.trials]
    .sort((x, y) => x.lr - y.lr)
    .map((t) => ({ value: t.lr, score: t.steps === null ? -Infinity : -t.steps }));
  return gridOf(optimizer, "lr", scored, b.lr, TIE * b.steps);
}

/**
 * `bestLr` on a grid widened until its best is interior: while the best sits on an edge of the grid
 * (no interior lr tied with it), `step` more values are added beyond that edge, up to `maxWidenings`
 * times. Returns the search on the grid finally used (a best still on the edge is reported as such).
 */
export function bestLrInterior<S>(
  landscape: Landscape,
  make: (lr: number) => GradientTransformation<S>,
  lrs: readonly number[],
  ratio: number,
  starts: readonly (readonly [number, number])[],
  o: Omit<RaceOptions, "start">,
  { step = 4, maxWidenings = 3 }: { step?: number; maxWidenings?: number } = {},
): { best: BestLr; lrs: number[] } {
  let grid = [...lrs].sort((a, b) => a - b);
  for (let w = 0; ; w++) {
    const best = bestLr(landscape, make, grid, starts, o);
    const g = raceGrid("", best);
    if (w === maxWidenings || g === undefined || !onEdge(g)) return { best, lrs: grid };
    const extra = Array.from({ length: step }, (_, i) => ratio ** (i + 1));
    grid =
      best.lr === grid[0]
        ? [...extra.map((f) => Number((grid[0]! / f).toPrecision(6))).reverse(), ...grid]
        : [...grid, ...extra.map((f) => Number((grid.at(-1)! * f).toPrecision(6)))];
  }
}
