/**
 * The Lab's experiments, one per claim of docs/CLAIMS.md (same ids, same order), plus claims found in
 * the seeds beyond that list (oscillating-gradient) and the issues' own (modern-optimizers,
 * state-precision). Each lives in experiments/<id>.ts and is loaded on demand, so a worker only
 * imports what it runs (TF.js stays unloaded for the landscape experiments).
 */
import type { Experiment } from "./experiment.ts";

/** The experiments beyond docs/CLAIMS.md's rows: a claim found in the seeds, and the issues' own. */
export const EXTRA_EXPERIMENTS: ReadonlySet<string> = new Set([
  "oscillating-gradient",
  "modern-optimizers",
  "state-precision",
]);

export const EXPERIMENT_IDS = [
  "ravine",
  "saddle",
  "plateau",
  "flat-minima",
  "scale-invariance",
  "vanishing-grad",
  "batchnorm-gamma",
  "rmsprop-limit",
  "adagrad-decay",
  "bias-correction",
  "momentum-overshoot",
  "v-scar",
  "oscillating-gradient",
  "l2-vs-decoupled",
  "silent-params",
  "adamw-steady-state",
  "lr-wd-coupling",
  "adamw-generalization",
  "sgd-flatter",
  "implicit-bias",
  "warmup",
  "sgdr",
  "cyclical",
  "clip-before-moments",
  "clip-pre-vs-post",
  "stationary",
  "imbalance",
  "ridge",
  "huber",
  "ml-potential",
  "pinn",
  "modern-optimizers",
  "state-precision",
] as const;

export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

const loaded = new Map<string, Experiment>();

export function isExperimentId(id: string): id is ExperimentId {
  return (EXPERIMENT_IDS as readonly string[]).includes(id);
}

/** Imports experiments/<id>.ts (or .js once built) and checks it is the experiment it claims to be. */
export async function loadExperiment(id: string): Promise<Experiment> {
  const cached = loaded.get(id);
  if (cached) return cached;
  if (!isExperimentId(id))
    throw new Error(`unknown experiment '${id}' (known: ${EXPERIMENT_IDS.join(", ")})`);
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const module = (await import(new URL(`./experiments/${id}${ext}`, import.meta.url).href)) as {
    experiment?: Experiment;
  };
  const experiment = module.experiment;
  if (!experiment || experiment.id !== id) {
    throw new Error(`experiments/${id}${ext} must export \`experiment\` with id '${id}'`);
  }
  loaded.set(id, experiment);
  return experiment;
}
