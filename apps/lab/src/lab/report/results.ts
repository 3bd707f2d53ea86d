/**
 * results.json: every claim's verdict, reason, key number, metrics and seeds, keyed by the claim's id
 * — what scripts (the README's "What the Lab found") and other tools read. No timings or dates, so
 * the same command writes the same file.
 */
import type { Metric, Mode, TuningGrid } from "../experiment.ts";
import type { LabRecord } from "../record.ts";
import type { RunSummary } from "../verdicts.ts";

export interface ClaimResult {
  title: string;
  claim: string;
  problemIds: string[];
  verdict: string;
  reason: string;
  keyNumber: string;
  setup: string;
  metrics: Record<string, Metric>;
  seeds: number[];
  /** The tuning grids of the optimizers compared, from the run shown. */
  grids?: TuningGrid[];
  /** Runs (one per base seed) that reached the verdict's class, of all runs (absent in files written before runs over seeds: one run). */
  agreement?: { k: number; n: number };
  /** Some run reached another verdict class: the verdict may change with the seed. */
  seedSensitive?: boolean;
  /** Each run's base seed, verdict and deciding quantity. */
  runs?: RunSummary[];
}

export interface LabResults {
  mode: Mode;
  seed: number;
  /** The command that reproduces this file. */
  command: string;
  claims: Record<string, ClaimResult>;
}

export function commandFor(mode: Mode, seed: number, only?: readonly string[]): string {
  const flags = [
    mode === "full" ? "--full" : mode === "smoke" ? "--smoke" : "",
    seed ? `--seed ${seed}` : "",
  ];
  if (only) flags.push(`--only ${only.join(",")}`);
  return ["npm run lab", flags.some(Boolean) ? "--" : "", ...flags].filter(Boolean).join(" ");
}

export function toResults(
  records: readonly LabRecord[],
  mode: Mode,
  seed: number,
  command: string,
): LabResults {
  const claims: Record<string, ClaimResult> = {};
  for (const r of records) {
    const base = { title: r.title, claim: r.claim, problemIds: r.problemIds };
    claims[r.id] = r.result
      ? {
          ...base,
          verdict: r.result.judgement.verdict,
          reason: r.result.judgement.reason,
          keyNumber: r.result.keyNumber,
          setup: r.result.setup,
          metrics: r.result.metrics,
          seeds: r.result.seeds,
          ...(r.result.grids ? { grids: r.result.grids } : {}),
          agreement: r.agreement ?? { k: 1, n: 1 },
          seedSensitive: r.seedSensitive ?? false,
          runs: r.runs ?? [],
        }
      : {
          ...base,
          verdict: "error",
          reason: `the experiment failed: ${(r.error ?? "").split("\n")[0]}`,
          keyNumber: "",
          setup: "",
          metrics: {},
          seeds: [],
          agreement: { k: 0, n: 0 },
          seedSensitive: false,
          runs: [],
        };
  }
  return { mode, seed, command, claims };
}
