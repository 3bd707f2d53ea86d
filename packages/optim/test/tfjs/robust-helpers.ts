/**
 * Shared by the TF.js adapter's robustness tests (robustness.test.ts, set-weights-fuzz.test.ts):
 * tiny models, weight lists built from plain data, and "everything observable" about an optimizer,
 * so a refused call can be checked to have changed nothing.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { MomentaOptimizer } from "momenta-optim/tfjs";
import { expect } from "vitest";

/** What TF.js passes to setWeights. */
export type NamedTensor = { name: string; tensor: tf.Tensor };

/** Messages of TypeErrors thrown from inside code that did not check its input. */
export const INTERNAL =
  /Cannot read properties of|is not a function|is not iterable|Cannot convert undefined or null|is not defined/;

/** Two float32 variables `<prefix>/b` [3] and `<prefix>/w` [2, 3], with fixed values. */
export function twoVars(prefix: string) {
  const w = tf.variable(tf.tensor([0.5, -0.25, 1, 2, -1, 0.125], [2, 3]), true, `${prefix}/w`);
  const b = tf.variable(tf.tensor([0.1, 0.2, 0.3]), true, `${prefix}/b`);
  const vars = [b, w];
  return {
    w,
    b,
    vars,
    /** Step t's gradients (fresh tensors: dispose them). */
    grads(t = 0): Record<string, tf.Tensor> {
      return Object.fromEntries(
        vars.map((v, k) => [
          v.name,
          tf.tensor(
            Array.from({ length: v.size }, (_, i) => Math.sin(1 + i + 3 * k + 0.7 * t)),
            v.shape,
            "float32",
          ),
        ]),
      );
    },
    values: () => vars.map((v) => Array.from(v.dataSync())),
    dispose: () => tf.dispose(vars),
  };
}

export type TwoVars = ReturnType<typeof twoVars>;

/** One applyGradients with step t's gradients (disposed after). */
export function stepWith(opt: tf.Optimizer, net: TwoVars, t = 0): void {
  const g = net.grads(t);
  try {
    opt.applyGradients(g);
  } finally {
    tf.dispose(Object.values(g));
  }
}

/** The int32 words `getWeights` packs a state dict into. */
export function wordsOf(dict: unknown): number[] {
  const bytes = new TextEncoder().encode(JSON.stringify(dict));
  const packed = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  packed.set(bytes);
  return Array.from(new Int32Array(packed.buffer));
}

/** The dict in some words (plain decoding, for the tests' own use). */
export function dictOf(words: ArrayLike<number>): Record<string, unknown> | undefined {
  const bytes = new Uint8Array(Int32Array.from(words).buffer);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end === 0 ? undefined : JSON.parse(new TextDecoder().decode(bytes.subarray(0, end)));
}

/** A weight list as `getWeights` writes it, from plain data (fresh tensors). */
export function weightList(
  iter: number,
  words: ArrayLike<number>,
  stateName = "momenta/state",
): NamedTensor[] {
  return [
    { name: "iter", tensor: tf.scalar(iter, "int32") },
    { name: stateName, tensor: tf.tensor1d(Array.from(words), "int32") },
  ];
}

/** A saved weight list as plain data (getWeights' tensors are the optimizer's: freed by the next call). */
export async function savedData(opt: tf.Optimizer): Promise<{ iter: number; words: number[]; name: string }> {
  const ws = await opt.getWeights();
  return {
    iter: (await ws[0]!.tensor.data())[0]!,
    words: Array.from(await ws[1]!.tensor.data()),
    name: ws[1]!.name,
  };
}

/** Everything observable about an optimizer and its variables. */
export async function observe(opt: MomentaOptimizer, vars: readonly tf.Variable[]) {
  const saved = await savedData(opt);
  return {
    iterations: opt.iterations,
    savedIter: saved.iter,
    state: dictOf(saved.words),
    path: opt.path,
    values: vars.map((v) => Array.from(v.dataSync())),
  };
}

/** An error the adapter means: an Error whose message names the adapter and the problem. */
export function expectClearError(e: unknown, pattern: RegExp): void {
  expect(e).toBeInstanceOf(Error);
  const message = (e as Error).message;
  expect(message).not.toMatch(INTERNAL);
  expect(message).toMatch(/^tfjsOptimizer: /);
  expect(message).toMatch(pattern);
}

/** What a call threw (or undefined), sync or async. */
export async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  return undefined;
}
