/**
 * Runs the Lab's experiments, spread over worker threads (each runs whole experiments; the costliest
 * start first so the last one to finish is short), or in this thread with `workers: 0`. Every
 * experiment is seeded from the base seed alone, so the split over threads never changes a number.
 */
import { Worker } from "node:worker_threads";
import { execute } from "./execute.ts";
import type { Experiment, Mode } from "./experiment.ts";
import { describe, type LabRecord } from "./record.ts";
import { loadExperiment } from "./registry.ts";

export type LabEvent =
  | { type: "start"; id: string; worker: number }
  | { type: "progress"; id: string; fraction: number; note?: string }
  | { type: "done"; record: LabRecord };

export interface RunOptions {
  ids: readonly string[];
  mode: Mode;
  seed: number;
  /** Worker threads; 0 runs everything in this thread. */
  workers: number;
  onEvent?: (event: LabEvent) => void;
}

/** Runs the experiments and returns their records in the order of `ids`. */
export async function runLab(o: RunOptions): Promise<LabRecord[]> {
  const emit = o.onEvent ?? (() => {});
  const experiments = new Map<string, Experiment>();
  for (const id of o.ids) experiments.set(id, await loadExperiment(id));
  const cost = (id: string) => experiments.get(id)!.cost;
  const order = [...o.ids].sort((a, b) => cost(b) - cost(a));
  const records = new Map<string, LabRecord>();
  if (o.workers === 0) {
    for (const id of order) {
      emit({ type: "start", id, worker: 0 });
      const record = await execute(experiments.get(id)!, o.mode, o.seed, (fraction, note) =>
        emit({ type: "progress", id, fraction, ...(note === undefined ? {} : { note }) }),
      );
      records.set(id, record);
      emit({ type: "done", record });
    }
  } else {
    await inWorkers(order, o, emit, records, experiments);
  }
  return o.ids.map((id) => records.get(id)!);
}

function spawn(): Worker {
  const url = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);
  if (!url.pathname.endsWith(".ts")) return new Worker(url);
  // Running from source (tsx): the worker registers tsx's loader before importing the TypeScript.
  const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

function inWorkers(
  order: string[],
  o: RunOptions,
  emit: (event: LabEvent) => void,
  records: Map<string, LabRecord>,
  experiments: Map<string, Experiment>,
): Promise<void> {
  const pick = (id: string) => describe(experiments.get(id)!);
  const queue = [...order];
  const count = Math.min(o.workers, queue.length);
  if (count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let live = count;
    for (let w = 0; w < count; w++) {
      const worker = spawn();
      let current: string | undefined;
      const next = () => {
        current = queue.shift();
        if (current === undefined) {
          worker.postMessage({ type: "stop" });
          return;
        }
        emit({ type: "start", id: current, worker: w });
        worker.postMessage({ type: "run", id: current, mode: o.mode, seed: o.seed });
      };
      worker.on("message", (m: LabEvent) => {
        if (m.type === "progress") emit(m);
        if (m.type === "done") {
          records.set(m.record.id, m.record);
          emit(m);
          next();
        }
      });
      worker.on("error", (e: Error) => {
        // A worker that dies (e.g. out of memory) fails its experiment, not the Lab; the others
        // take what is left in the queue.
        if (current === undefined) return;
        const record = { ...pick(current), error: `worker thread failed: ${e.message}`, seconds: 0 };
        records.set(current, record);
        emit({ type: "done", record });
        current = undefined;
      });
      worker.on("exit", () => {
        live--;
        if (live > 0) return;
        for (const id of queue.splice(0)) {
          const record = { ...pick(id), error: "no worker thread left to run it", seconds: 0 };
          records.set(id, record);
          emit({ type: "done", record });
        }
        resolve();
      });
      next();
    }
  });
}
