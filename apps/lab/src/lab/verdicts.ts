/**
 * Verdicts over seeds. Each experiment runs once per seed (3 in quick mode, 5 with `--full`, one
 * when it is deterministic); its verdict is the class a strict majority of the runs reach, said as
 * "in k of n seeds". A claim whose runs point different ways (one seed finds it holding, with or
 * without a condition, another finds it failing or cannot tell) is marked seed-sensitive; with no
 * majority it is inconclusive. Seeds that differ only between "holds" and "holds only when" agree
 * on the claim's direction and show as "k of n". The figures and numbers shown are those of the
 * first run in the majority.
 */
import type { Deciding, ExperimentResult, Mode, Verdict } from "./experiment.ts";

/** The four verdict classes ("holds only when" whatever its condition). */
export type VerdictClass = "holds" | "holds only when" | "does not hold" | "inconclusive";

export function classOf(verdict: string): VerdictClass | "error" {
  if (verdict === "holds" || verdict === "does not hold" || verdict === "inconclusive") return verdict;
  if (verdict.startsWith("holds only when")) return "holds only when";
  return "error";
}

/**
 * Which way a verdict points: for the claim (holds, with or without a condition), against it, or
 * neither (the test could not tell, or the run failed).
 */
export function directionOf(verdict: string): "for" | "against" | "unresolved" | "error" {
  const c = classOf(verdict);
  if (c === "holds" || c === "holds only when") return "for";
  if (c === "does not hold") return "against";
  return c === "inconclusive" ? "unresolved" : "error";
}

/** Independent runs per claim: the texts' claims are judged on ≥ 3 seeds (quick) and ≥ 5 (full). */
export const RUNS: Record<Mode, number> = { smoke: 1, quick: 3, full: 5 };

/**
 * The seed of run r of a Lab run with base seed `base`: base·100 + r, so `--seed 0`, `--seed 1`…
 * use disjoint sets (up to 100 runs), and run 0 of `--seed s` is what a single run at seed 100·s was.
 */
export function runSeed(base: number, r: number): number {
  return base * 100 + r;
}

/** One seed's run as the aggregate sees it. */
export interface Run {
  /** The run's base seed (its `ctx.seed`). */
  seed: number;
  result: ExperimentResult;
}

/** What results.json keeps of each run. */
export interface RunSummary {
  seed: number;
  verdict: Verdict;
  deciding: Deciding | null;
}

export interface Aggregate {
  /** The majority's result (its figures, tables, metrics), its verdict and reason replaced. */
  result: ExperimentResult;
  /** k runs of n reached the verdict's class. */
  agreement: { k: number; n: number };
  /** The runs point different ways: see `directionOf`. */
  seedSensitive: boolean;
  runs: RunSummary[];
}

const fmt = (x: number) => {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
};

/** "R² 0.92 (0.88–0.97 over 3 seeds; rule ≥ 0.9)", or undefined unless every run states it. */
export function decidingSummary(runs: readonly Run[]): string | undefined {
  const ds = runs.map((r) => r.result.judgement.deciding);
  if (ds.some((d) => d === undefined)) return undefined;
  const { label, threshold } = ds[0]!;
  // Runs that took different branches decided on different quantities: each is shown with its seed.
  if (ds.some((d) => d!.label !== label))
    return ds
      .map((d, i) => `seed ${runs[i]!.seed}: ${d!.label} ${fmt(d!.value)} (rule ${d!.threshold})`)
      .join("; ");
  const values = ds.map((d) => d!.value);
  if (values.length === 1) return `${label} ${fmt(values[0]!)} (rule ${threshold})`;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return `${label} ${fmt(mean)} (mean; ${fmt(lo)}–${fmt(hi)} over ${values.length} seeds; rule ${threshold})`;
}

/**
 * The verdict over runs: the class a strict majority reached (its first run's verdict, condition
 * included), or "inconclusive" when no class has a majority.
 */
export function aggregate(runs: readonly Run[]): Aggregate {
  if (runs.length === 0) throw new Error("aggregate: no runs");
  const n = runs.length;
  const counts = new Map<VerdictClass | "error", number>();
  for (const r of runs) {
    const c = classOf(r.result.judgement.verdict);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let top: VerdictClass | "error" = classOf(runs[0]!.result.judgement.verdict);
  for (const [c, k] of counts) if (k > counts.get(top)!) top = c;
  const k = counts.get(top)!;
  const majority = 2 * k > n;
  const lead = majority ? runs.find((r) => classOf(r.result.judgement.verdict) === top)! : runs[0]!;
  const summary = runs.map(
    (r): RunSummary => ({
      seed: r.seed,
      verdict: r.result.judgement.verdict,
      deciding: r.result.judgement.deciding ?? null,
    }),
  );
  const deciding = decidingSummary(runs);
  const others = runs
    .filter((r) => classOf(r.result.judgement.verdict) !== top)
    .map((r) => `seed ${r.seed}: ${r.result.judgement.verdict}${deciding ? ` (${fmtDeciding(r)})` : ""}`);
  const conditions = [
    ...new Set(
      runs
        .filter((r) => classOf(r.result.judgement.verdict) === "holds only when")
        .map((r) => r.result.judgement.verdict),
    ),
  ];
  const sensitive = new Set(runs.map((r) => directionOf(r.result.judgement.verdict))).size > 1;
  const base = lead.result;
  let verdict: Verdict;
  let reason: string;
  if (n === 1) {
    verdict = base.judgement.verdict;
    reason = base.judgement.reason;
  } else if (majority) {
    verdict = base.judgement.verdict;
    const varied =
      top === "holds only when" && conditions.length > 1
        ? ` The condition varies with the seed: ${conditions.map((c) => `"${c.slice("holds only when ".length)}"`).join(", ")}.`
        : "";
    reason = `In ${k} of ${n} seeds${others.length ? ` (${sensitive ? "seed-sensitive" : "otherwise"}: ${others.join("; ")})` : ""}. Seed ${lead.seed}: ${base.judgement.reason}${varied}`;
  } else {
    verdict = "inconclusive";
    reason = `The seeds disagree: ${runs.map((r) => `seed ${r.seed} ${r.result.judgement.verdict}${deciding ? ` (${fmtDeciding(r)})` : ""}`).join("; ")} — no verdict reached by a majority of ${n}. Seed ${lead.seed}: ${base.judgement.reason}`;
  }
  const keyNumber = deciding ? `${base.keyNumber}; ${deciding}` : base.keyNumber;
  const seeds = [...new Set(runs.flatMap((r) => r.result.seeds))];
  return {
    result: {
      ...base,
      keyNumber,
      judgement: {
        verdict,
        reason,
        ...(base.judgement.deciding ? { deciding: base.judgement.deciding } : {}),
      },
      setup:
        n > 1
          ? `${base.setup} Run at ${n} base seeds (${runs.map((r) => r.seed).join(", ")}); figures and tables from seed ${lead.seed}.`
          : base.setup,
      seeds,
    },
    agreement: { k: majority ? k : Math.max(...counts.values()), n },
    seedSensitive: sensitive,
    runs: summary,
  };
}

function fmtDeciding(r: Run): string {
  const d = r.result.judgement.deciding;
  return d ? `${d.label} ${fmt(d.value)}` : "";
}
