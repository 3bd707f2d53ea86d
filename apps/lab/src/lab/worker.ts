/**
 * A Lab worker thread: receives experiment ids, runs them with `execute`, posts progress and
 * records back. One experiment at a time; the main thread hands out the next when one is done.
 */
import { parentPort } from "node:worker_threads";
import { execute } from "./execute.ts";
import type { Mode } from "./experiment.ts";
import { loadExperiment } from "./registry.ts";

export type ToWorker = { type: "run"; id: string; mode: Mode; seed: number } | { type: "stop" };

if (!parentPort) throw new Error("src/lab/worker.ts runs as a worker thread");
const port = parentPort;
port.on("message", async (message: ToWorker) => {
  if (message.type === "stop") {
    port.close();
    return;
  }
  const { id, mode, seed } = message;
  let last = 0;
  const record = await execute(await loadExperiment(id), mode, seed, (fraction, note) => {
    // Throttled: an experiment may report every step.
    const now = performance.now();
    if (now - last < 100) return;
    last = now;
    port.postMessage({ type: "progress", id, fraction, note });
  });
  port.postMessage({ type: "done", record });
});
