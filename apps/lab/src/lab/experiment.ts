/**
 * The contract every Lab experiment follows. An experiment puts one claim of the seed texts
 * (docs/CLAIMS.md, same id) to the test: it runs seeded measurements, judges them with a pure
 * function whose thresholds are stated and justified in its own code, and returns numbers, figures
 * (Vega-Lite specs, rendered to SVG by the report) and tables. It never hard-codes a verdict.
 */

/** smoke: seconds, for `npm test` (checks the machinery); quick: `npm run lab`; full: `--full`. */
export type Mode = "smoke" | "quick" | "full";

/**
 * `holds only when …` carries its condition, e.g. "holds only when the gradient noise is small".
 * "inconclusive": the effect is smaller than the test can resolve (the reason states the smallest
 * effect it could have seen); "does not hold" needs evidence against the claim.
 */
export type Verdict = "holds" | "does not hold" | "inconclusive" | `holds only when ${string}`;

/**
 * The number a verdict turns on, compared with its threshold: what the Lab shows across seeds (its
 * mean and range), so a reader sees how far from the line each seed fell.
 */
export interface Deciding {
  /** What it is, e.g. "R² of log λ* against log lr". */
  label: string;
  value: number;
  /** The rule it is held to, e.g. "≥ 0.9". */
  threshold: string;
}

export interface Judgement {
  verdict: Verdict;
  /** Why, with the numbers and thresholds that decided it, in one or two sentences. */
  reason: string;
  /** The deciding quantity (strongly recommended: shown with its spread over the seeds). */
  deciding?: Deciding;
}

/** A Vega-Lite spec (a plain JSON object; see src/lab/plot). */
export type VegaLiteSpec = Record<string, unknown>;

export interface Figure {
  title: string;
  /** What to look at in the figure. */
  caption: string;
  spec: VegaLiteSpec;
}

export interface Table {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

/** JSON-safe metric values (no NaN/Infinity inside: use null and say why in the reason). */
export type Metric = number | string | boolean | null | Metric[] | { [key: string]: Metric };

/**
 * An axis an optimizer was tuned over (its learning rate, or peak lr), and the value it picked: the
 * report shows every grid and flags a best on the grid's edge, where a wider grid might move it.
 */
export interface TuningGrid {
  /** The optimizer (and arm) tuned, e.g. "AdamW, noise σ=0.3". */
  optimizer: string;
  /** What the axis is, e.g. "lr" or "peak lr". */
  axis: string;
  values: number[];
  best: number;
  /** Values that score as well as the best within the test's resolution (`gridOf`'s tolerance). */
  tied?: number[];
  /** Every value failed (diverged or never arrived): no best to place, nothing to widen. */
  allFailed?: boolean;
}

/**
 * Whether a grid's best is its smallest or largest value — and no interior value ties with it (a
 * plateau that reaches inside the grid is not cut off by its edge). A one-value grid is no tuning.
 */
export function onEdge(g: TuningGrid): boolean {
  if (g.values.length < 2 || g.allFailed) return false;
  const lo = Math.min(...g.values);
  const hi = Math.max(...g.values);
  if (g.best !== lo && g.best !== hi) return false;
  return !(g.tied ?? []).some((v) => v !== lo && v !== hi);
}

/**
 * A tuning grid from each value's score (higher is better; −∞ for a value that failed), the best as
 * the experiment picked it. Values within `tolerance` of the top score count as tied with it: where
 * an interior value is as good within what the test resolves, the optimum is a plateau reaching into
 * the grid, and a wider grid could not gain more than the tolerance.
 */
export function gridOf(
  optimizer: string,
  axis: string,
  scored: readonly { value: number; score: number }[],
  best: number,
  tolerance = 0,
): TuningGrid {
  const top = Math.max(...scored.map((s) => s.score)) - tolerance;
  return {
    optimizer,
    axis,
    values: scored.map((s) => s.value),
    best,
    tied: scored.filter((s) => s.score >= top).map((s) => s.value),
    ...(scored.every((s) => s.score === -Infinity) ? { allFailed: true } : {}),
  };
}

export interface ExperimentResult {
  /** The setup actually run in this mode (problem, sizes, optimizers, grids, steps, seeds). */
  setup: string;
  metrics: Record<string, Metric>;
  /** The one number (with its unit or meaning) shown in the verdict table. */
  keyNumber: string;
  judgement: Judgement;
  figures: Figure[];
  tables?: Table[];
  /** The tuning grids of the optimizers compared (see TuningGrid). */
  grids?: TuningGrid[];
  /** Every seed used, so the run can be reproduced. */
  seeds: number[];
}

export interface Context {
  mode: Mode;
  /** The run's base seed (`--seed`, default 0). Derive every generator from it. */
  seed: number;
  /** Report progress in [0, 1] with an optional short note; cheap to call often. */
  progress(fraction: number, note?: string): void;
}

export interface Experiment {
  /** The claim's id in CLAIMS.md (e.g. "v-scar"). */
  id: string;
  /** A few words, e.g. "The v_t scar". */
  title: string;
  /** The claim in English, as the seed makes it. */
  claim: string;
  /** The seeds' [@problem_id:N] references. */
  problemIds: string[];
  /**
   * Declared cost of one run (one seed) in seconds on one core of the 2-core reference machine, in
   * quick mode: schedules the longest first, and the runner reports it beside the measured time.
   */
  cost: number;
  /**
   * The same for `--full` (one seed): set from the --full run of session 6 (measured ÷ runs, on a
   * machine shared with other work, so an upper estimate; the Lab prints measured beside declared).
   */
  fullCost: number;
  /**
   * No seed enters the experiment (a deterministic computation): it runs once, whatever the number
   * of seeds the mode asks for, and its verdict cannot change with the seed.
   */
  deterministic?: true;
  run(ctx: Context): Promise<ExperimentResult>;
}

/** Seeds for `count` independent runs derived from the base seed (distinct, stable across modes). */
export function seedsFor(ctx: Pick<Context, "seed">, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (ctx.seed * 1000 + i + 1) >>> 0);
}
