/**
 * Runs the Lab's experiments, each once per seed (verdicts.ts: 3 in quick mode, 5 with --full, once
 * when deterministic), spread over worker threads (each runs one experiment at one seed at a time;
 * the costliest start first so the last one to finish is short), or in this thread with
 * `workers: 0`; then decides each claim's verdict over its runs. Every run is seeded from the base
 * seed and its index alone, so the split over threads never changes a number.
 */
import { Worker } from "node:worker_threads";
import { execute } from "./execute.ts";
import type { Experiment, Mode } from "./experiment.ts";
import { describe, type LabRecord } from "./record.ts";
import { loadExperiment } from "./registry.ts";
import { aggregate, RUNS, runSeed } from "./verdicts.ts";

export type LabEvent =
  /** A run starts: `label` names it in the display ("sgdr" or "sgdr 2/3"). */
  | { type: "start"; id: string; label: string; worker: number }
  | { type: "progress"; id: string; label: string; fraction: number; note?: string }
  /** A run ended (its claim may still have runs to go). */
  | { type: "run-done"; id: string; label: string }
  /** Every run of a claim ended: its record, the verdict decided over the runs. */
  | { type: "done"; record: LabRecord };

export interface RunOptions {
  ids: readonly string[];
  mode: Mode;
  seed: number;
  /** Worker threads; 0 runs everything in this thread. */
  workers: number;
  onEvent?: (event: LabEvent) => void;
}

/** One run: an experiment at one seed. */
interface Unit {
  id: string;
  seed: number;
  label: string;
}

/** How many runs an experiment gets in a mode. */
export function runsOf(e: Pick<Experiment, "deterministic">, mode: Mode): number {
  return e.deterministic ? 1 : RUNS[mode];
}

/** Runs the experiments and returns their records (one per claim) in the order of `ids`. */
export async function runLab(o: RunOptions): Promise<LabRecord[]> {
  const emit = o.onEvent ?? (() => {});
  const experiments = new Map<string, Experiment>();
  for (const id of o.ids) experiments.set(id, await loadExperiment(id));
  const cost = (id: string) => {
    const e = experiments.get(id)!;
    return o.mode === "full" ? e.fullCost : e.cost;
  };
  const units: Unit[] = [];
  for (const id of [...o.ids].sort((a, b) => cost(b) - cost(a))) {
    const n = runsOf(experiments.get(id)!, o.mode);
    for (let r = 0; r < n; r++)
      units.push({ id, seed: runSeed(o.seed, r), label: n > 1 ? `${id} ${r + 1}/${n}` : id });
  }
  // Runs of the costliest first, each claim's runs together.
  const pending = new Map(o.ids.map((id) => [id, runsOf(experiments.get(id)!, o.mode)]));
  const finished = new Map<string, { seed: number; record: LabRecord }[]>();
  const records = new Map<string, LabRecord>();
  const onRecord = (u: Unit, record: LabRecord) => {
    emit({ type: "run-done", id: u.id, label: u.label });
    const list = finished.get(u.id) ?? [];
    list.push({ seed: u.seed, record });
    finished.set(u.id, list);
    pending.set(u.id, pending.get(u.id)! - 1);
    if (pending.get(u.id)! > 0) return;
    const claim = combine(experiments.get(u.id)!, list);
    records.set(u.id, claim);
    emit({ type: "done", record: claim });
  };
  if (o.workers === 0) {
    for (const u of units) {
      emit({ type: "start", id: u.id, label: u.label, worker: 0 });
      const record = await execute(experiments.get(u.id)!, o.mode, u.seed, (fraction, note) =>
        emit({
          type: "progress",
          id: u.id,
          label: u.label,
          fraction,
          ...(note === undefined ? {} : { note }),
        }),
      );
      onRecord(u, record);
    }
  } else {
    await inWorkers(units, o, emit, onRecord, experiments);
  }
  return o.ids.map((id) => records.get(id)!);
}

/** A claim's record from its runs (in seed order): the verdict over seeds, or the first error. */
function combine(e: Experiment, runs: { seed: number; record: LabRecord }[]): LabRecord {
  runs.sort((a, b) => a.seed - b.seed);
  const seconds = runs.reduce((s, r) => s + r.record.seconds, 0);
  const failed = runs.find((r) => r.record.error !== undefined);
  if (failed) return { ...describe(e), error: `seed ${failed.seed}: ${failed.record.error}`, seconds };
  const agg = aggregate(runs.map((r) => ({ seed: r.seed, result: r.record.result! })));
  return {
    ...describe(e),
    result: agg.result,
    seconds,
    agreement: agg.agreement,
    seedSensitive: agg.seedSensitive,
    runs: agg.runs,
  };
}

function spawn(): Worker {
  const url = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
  if (!url.pathname.endsWith(".ts")) return new Worker(url);
  // Running from source (tsx): the worker registers tsx's loader before importing the TypeScript.
  const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

function inWorkers(
  units: Unit[],
  o: RunOptions,
  emit: (event: LabEvent) => void,
  onRecord: (u: Unit, record: LabRecord) => void,
  experiments: Map<string, Experiment>,
): Promise<void> {
  const pick = (id: string) => describe(experiments.get(id)!);
  const queue = [...units];
  const count = Math.min(o.workers, queue.length);
  if (count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let live = count;
    for (let w = 0; w < count; w++) {
      const worker = spawn();
      let current: Unit | undefined;
      const next = () => {
        current = queue.shift();
        if (current === undefined) {
          worker.postMessage({ type: "stop" });
          return;
        }
        emit({ type: "start", id: current.id, label: current.label, worker: w });
        worker.postMessage({ type: "run", id: current.id, mode: o.mode, seed: current.seed });
      };
      worker.on(
        "message",
        (m: { type: "progress"; fraction: number; note?: string } | { type: "done"; record: LabRecord }) => {
          if (!current) return;
          if (m.type === "progress") {
            emit({
              type: "progress",
              id: current.id,
              label: current.label,
              fraction: m.fraction,
              ...(m.note === undefined ? {} : { note: m.note }),
            });
          }
          if (m.type === "done") {
            const u = current;
            current = undefined;
            onRecord(u, m.record);
            next();
          }
        },
      );
      worker.on("error", (e: Error) => {
        // A worker that dies (e.g. out of memory) fails its run, not the Lab; the others take what
        // is left in the queue.
        if (current === undefined) return;
        const u = current;
        current = undefined;
        onRecord(u, { ...pick(u.id), error: `worker thread failed: ${e.message}`, seconds: 0 });
      });
      worker.on("exit", () => {
        live--;
        if (live > 0) return;
        for (const u of queue.splice(0))
          onRecord(u, { ...pick(u.id), error: "no worker thread left to run it", seconds: 0 });
        resolve();
      });
      next();
    }
  });
}
