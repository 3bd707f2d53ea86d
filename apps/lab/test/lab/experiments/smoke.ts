/** The smoke check every Lab experiment's test shares: JSON-safe finite metrics, figures with data, determinism. */
import { expect } from "vitest";
import type { Experiment, ExperimentResult } from "../../../src/lab/experiment.ts";

export interface SmokeOptions {
  /** Strings the setup must mention besides "smoke". */
  mentions?: readonly string[];
  /** The experiment draws no randomness: its seeds must be empty instead of non-empty. */
  seedless?: boolean;
  /** Called between the two runs with the first result (e.g. a tensor-leak check). */
  afterFirstRun?: (first: ExperimentResult) => void;
}

const smoke = (e: Experiment) => e.run({ mode: "smoke", seed: 0, progress() {} });

/**
 * Runs `experiment` twice in smoke mode and checks what every experiment must satisfy; returns the first
 * result for the experiment's own assertions.
 */
export async function smokeCheck(
  experiment: Experiment,
  id: string,
  options: SmokeOptions = {},
): Promise<ExperimentResult> {
  const a = await smoke(experiment);
  options.afterFirstRun?.(a);
  const b = await smoke(experiment);
  expect(experiment.id).toBe(id);
  expect(a.setup).toContain("smoke");
  for (const s of options.mentions ?? []) expect(a.setup).toContain(s);
  expect(a.keyNumber.length).toBeGreaterThan(0);
  expect(a.judgement.reason.length).toBeGreaterThan(0);
  expect(a.judgement.verdict).toMatch(/^(holds|does not hold|inconclusive|holds only when .+)$/);
  const json = JSON.stringify(a.metrics);
  expect(json).not.toMatch(/NaN|Infinity/);
  expect(JSON.parse(json)).toEqual(a.metrics);
  expect(a.figures.length).toBeGreaterThanOrEqual(1);
  for (const f of a.figures) {
    expect(f.caption.length).toBeGreaterThan(0);
    expect(JSON.stringify(f.spec)).toMatch(/"values":\[\{/);
  }
  expect(json).toBe(JSON.stringify(b.metrics));
  expect(b.metrics).toEqual(a.metrics);
  expect(a.judgement).toEqual(b.judgement);
  expect(a.seeds).toEqual(b.seeds);
  if (options.seedless) expect(a.seeds).toEqual([]);
  else expect(a.seeds.length).toBeGreaterThan(0);
  return a;
}
