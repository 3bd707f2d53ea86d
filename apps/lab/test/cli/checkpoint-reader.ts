/** Reads a `momenta train` checkpoint back: model weights, the optimizer's momenta state dict, state.json. */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { stateFromWords } from "momenta-optim/tfjs";
import type { CheckpointState } from "../../src/cli/checkpoint.ts";

function decode(folder: string) {
  const json = JSON.parse(readFileSync(join(folder, "model.json"), "utf8")) as tf.io.ModelJSON;
  const specs = json.weightsManifest[0]!.weights;
  const bytes = readFileSync(join(folder, "weights.bin"));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { specs, bytes, tensors: tf.io.decodeWeights(buffer, specs) };
}

export async function readCheckpoint(out: string, folder = join(out, "checkpoint")) {
  const { specs, tensors } = decode(folder);
  const model = specs
    .filter((s) => s.group !== "optimizer")
    .map((s) => Array.from(tensors[s.name]!.dataSync()));
  const codes = tensors[specs.find((s) => s.name.endsWith("/state"))!.name]!.dataSync();
  const optimizer = stateFromWords(codes)!;
  tf.dispose(Object.values(tensors));
  const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as CheckpointState;
  return { model, optimizer, state };
}

/**
 * A run's checkpoint as text to compare byte for byte: the model's weights (their float32 bytes, in
 * hex), the optimizer's iteration count and state dict (whose float arrays are the base64 of their
 * bytes; leaf paths without TF.js's `_1` suffixes, which only say how many models the process had
 * built), and state.json's record of the run (metrics without their wall-clock seconds).
 */
export function fingerprint(out: string, folder = join(out, "checkpoint")) {
  const { specs, bytes, tensors } = decode(folder);
  const modelBytes =
    4 *
    specs.filter((s) => s.group !== "optimizer").reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const iterations = tensors.iter!.dataSync()[0];
  const dict = stateFromWords(tensors[specs.find((s) => s.name.endsWith("/state"))!.name]!.dataSync());
  tf.dispose(Object.values(tensors));
  const optimizer = dict ? { ...dict, paths: dict.paths.map((p) => p.replace(/_\d+$/, "")) } : null;
  const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as CheckpointState;
  return {
    weights: Buffer.from(bytes.subarray(0, modelBytes)).toString("hex"),
    optimizer: JSON.stringify({ iterations, dict: optimizer }),
    state: JSON.stringify({
      epoch: state.epoch,
      step: state.step,
      rng: state.rng,
      config: { ...state.config, out: undefined },
      metrics: withoutTime(state.metrics),
    }),
  };
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * Edits a checkpoint's state.json and seals it again as the CLI does (the sizes and hashes of
 * model.json and weights.bin as they are now, a fresh checksum): for tests that get past the
 * integrity checks to the ones behind them, as a deliberate forger would.
 */
export function reseal(folder: string, edit: (state: Record<string, unknown>) => void = () => {}) {
  const { checksum: _, ...state } = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const files: Record<string, { bytes: number; sha256: string }> = {};
  for (const name of ["model.json", "weights.bin"]) {
    const bytes = readFileSync(join(folder, name));
    files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  state.files = files;
  edit(state);
  const body = JSON.stringify(state, null, 2);
  writeFileSync(
    join(folder, "state.json"),
    `${JSON.stringify({ ...state, checksum: `sha256:${sha256(body)}` }, null, 2)}\n`,
  );
}

/** Metrics without the wall-clock seconds, which no two runs share. */
export function withoutTime(rows: readonly { seconds: number }[]) {
  return rows.map(({ seconds: _, ...rest }) => rest);
}

/** Where two lists of float arrays first differ (undefined when equal, bit for bit) — a short failure message. */
export function firstDifference(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): string | undefined {
  if (a.length !== b.length) return `${a.length} arrays vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.length !== y.length) return `array ${i}: ${x.length} values vs ${y.length}`;
    for (let j = 0; j < x.length; j++) {
      if (!Object.is(x[j], y[j])) return `array ${i}[${j}]: ${x[j]} vs ${y[j]}`;
    }
  }
  return undefined;
}
