/**
 * The page's network: a 784 → hidden → 10 MLP (ReLU, then softmax cross-entropy) as four TF.js
 * variables, initialized from a seeded stream so every run starts from the same weights.
 */
import { CLASSES, PIXELS } from "@momenta/mnist";
import * as tf from "@tensorflow/tfjs-core";
import { Mulberry32 } from "momenta-optim";
import { VARIABLES } from "./recipe.ts";

export interface Mlp {
  readonly variables: tf.Variable[];
  /** Logits [n, 10] of images [n, 784]. */
  logits(x: tf.Tensor2D): tf.Tensor2D;
  /** The batch's mean softmax cross-entropy against one-hot labels. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar;
  dispose(): void;
}

/** Uniform in ±limit from the stream (He's limit for the ReLU layer, Glorot's for the output). */
function uniform(g: Mulberry32, rows: number, cols: number, limit: number): tf.Tensor2D {
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = limit * (2 * g.next() - 1);
  return tf.tensor2d(values, [rows, cols]);
}

export function createMlp(hidden: number, seed: number): Mlp {
  const g = new Mulberry32(seed);
  const v = (init: tf.Tensor, name: string) => tf.variable(init, true, name);
  const [w1, b1, w2, b2] = tf.tidy(() => [
    v(uniform(g, PIXELS, hidden, Math.sqrt(6 / PIXELS)), VARIABLES.w1),
    v(tf.zeros([hidden]), VARIABLES.b1),
    v(uniform(g, hidden, CLASSES, Math.sqrt(6 / (hidden + CLASSES))), VARIABLES.w2),
    v(tf.zeros([CLASSES]), VARIABLES.b2),
  ]) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const logits = (x: tf.Tensor2D) =>
    tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2) as tf.Tensor2D);
  return {
    variables: [w1, b1, w2, b2],
    logits,
    loss: (x, y) => tf.tidy(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar),
    dispose: () => tf.dispose([w1, b1, w2, b2]),
  };
}
