/**
 * The checkpoint written after every epoch, in `<out>/checkpoint/`:
 *
 * - `model.json` + `weights.bin`: the model with its optimizer, exactly as TF.js's
 *   `model.save(…, { includeOptimizer: true })` produces them (so `tf.loadLayersModel` reads them, once
 *   `tfjsOptimizer(tx, { name })` has registered the optimizer's name);
 * - `state.json`: the resolved config, the epochs done, the update count, the batch-order generator's
 *   position and the metrics so far.
 *
 * A new checkpoint is written beside the old one and swapped in, so an interrupted write leaves the
 * previous checkpoint whole.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Config } from "./config.ts";
import { ConfigError } from "./errors.ts";
import type { EpochMetrics } from "./metrics.ts";

export const CHECKPOINT = "checkpoint";
const FORMAT = "momenta-train-checkpoint";

export interface CheckpointState {
  format: typeof FORMAT;
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Updates applied. */
  step: number;
  /** The batch-order generator's state (Mulberry32) after `epoch` epochs. */
  rng: number;
  config: Config;
  metrics: EpochMetrics[];
}

/** The model's save artifacts with its optimizer (whose tensors the optimizer owns and frees). */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
    { includeOptimizer: true },
  );
  return artifacts!;
}

export async function saveCheckpoint(
  out: string,
  model: tfl.LayersModel,
  state: CheckpointState,
): Promise<void> {
  const artifacts = await artifactsOf(model);
  const target = join(out, CHECKPOINT);
  const next = `${target}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
  };
  writeFileSync(join(next, "model.json"), JSON.stringify(modelJson));
  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  writeFileSync(join(next, "weights.bin"), new Uint8Array(data));
  writeFileSync(join(next, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(next, target);
}

/** The checkpoint folder for `--resume <dir>`: the run's output folder or its `checkpoint/`. */
export function findCheckpoint(dir: string): string {
  const candidates = [join(dir, CHECKPOINT), dir, join(dir, `${CHECKPOINT}.next`)];
  const found = candidates.find(
    (c) => existsSync(join(c, "state.json")) && existsSync(join(c, "model.json")),
  );
  if (!found) {
    throw new ConfigError([
      `--resume: no checkpoint in '${dir}' (expected ${join(dir, CHECKPOINT, "state.json")})`,
    ]);
  }
  return found;
}

export function readState(folder: string): CheckpointState {
  const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as CheckpointState;
  if (state?.format !== FORMAT || state.version !== 1) {
    throw new ConfigError([`--resume: ${join(folder, "state.json")} is not a momenta train checkpoint`]);
  }
  return state;
}

/** The saved model and optimizer, ready for `tfl.loadLayersModel(tf.io.fromMemory(artifacts))`. */
export async function readArtifacts(folder: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(readFileSync(join(folder, "model.json"), "utf8")) as tf.io.ModelJSON;
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const bytes = readFileSync(join(folder, manifest[0]!.paths[0]!));
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return [manifest.flatMap((g) => g.weights), data];
  });
}
