/**
 * Runs one experiment in the current thread and turns a thrown error into a record, so one broken
 * experiment does not take the rest of the Lab down. Shared by the in-process path and the workers.
 */
import type { Experiment, Mode } from "./experiment.ts";
import { describe, type LabRecord } from "./record.ts";

export async function execute(
  experiment: Experiment,
  mode: Mode,
  seed: number,
  progress: (fraction: number, note?: string) => void,
): Promise<LabRecord> {
  const started = performance.now();
  try {
    const result = await experiment.run({ mode, seed, progress });
    // A result must survive JSON (results.json, the worker boundary): catch NaN and friends here.
    const bad = nonFinite(result.metrics, "metrics");
    if (bad) throw new Error(`non-finite metric at ${bad} (metrics must be JSON-safe: use null)`);
    if (result.figures.length === 0) throw new Error("the experiment returned no figure");
    return { ...describe(experiment), result, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { ...describe(experiment), error: message, seconds: (performance.now() - started) / 1000 };
  }
}

function nonFinite(value: unknown, path: string): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = nonFinite(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const bad = nonFinite(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return null;
}
