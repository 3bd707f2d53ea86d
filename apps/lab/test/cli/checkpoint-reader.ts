/** Reads a `momenta train` checkpoint back: model weights, the optimizer's momenta state dict, state.json. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { stateFromWords } from "momenta-optim/tfjs";
import type { CheckpointState } from "../../src/cli/checkpoint.ts";
import { readArtifacts } from "../../src/cli/checkpoint.ts";

export async function readCheckpoint(out: string) {
  const folder = join(out, "checkpoint");
  const artifacts = await readArtifacts(folder);
  const specs = artifacts.weightSpecs!;
  const tensors = tf.io.decodeWeights(artifacts.weightData!, specs);
  const model = specs
    .filter((s) => s.group !== "optimizer")
    .map((s) => Array.from(tensors[s.name]!.dataSync()));
  const codes = tensors[specs.find((s) => s.name.endsWith("/state"))!.name]!.dataSync();
  const optimizer = stateFromWords(codes)!;
  tf.dispose(Object.values(tensors));
  const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as CheckpointState;
  return { model, optimizer, state };
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
