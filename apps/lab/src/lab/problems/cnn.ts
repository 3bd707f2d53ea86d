/**
 * A small convolutional digit classifier written with TF.js ops, trained like the MLP (`trainMlp`,
 * `evaluate` take any `Net`):
 *
 *     x [b, 28, 28, 1] → conv 5×5, `filters` channels, + bias → ReLU → max-pool 2×2 → dense → 10 logits
 *
 * Its parameters differ from the MLP's in kind, which is why the state-precision experiment runs
 * both: a few shared kernels whose gradients sum over every position of every image (large, and
 * alike across a block) beside a dense layer whose gradients are sparse. Glorot-uniform init from a
 * seeded Mulberry32 (fan-in kh·kw·in, fan-out kh·kw·out, as Keras's), biases 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Mulberry32 } from "momenta-optim";
import { CLASSES } from "./mnist.ts";
import { Net } from "./net.ts";

const SIDE = 28;
const KERNEL = 5;

let created = 0;

export class Cnn extends Net {
  private readonly pooled: number;

  constructor(readonly spec: { filters: number; seed: number }) {
    super(`cnn${++created}`);
    const { filters, seed } = spec;
    const g = new Mulberry32(seed);
    const glorot = (n: number, fanIn: number, fanOut: number) => {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return Float32Array.from({ length: n }, () => limit * (2 * g.next() - 1));
    };
    const side = (SIDE - KERNEL + 1) / 2;
    this.pooled = side * side * filters;
    this.add("k1", glorot(KERNEL * KERNEL * filters, KERNEL * KERNEL, KERNEL * KERNEL * filters), [
      KERNEL,
      KERNEL,
      1,
      filters,
    ]);
    this.add("c1", new Float32Array(filters), [filters]);
    this.add("w2", glorot(this.pooled * CLASSES, this.pooled, CLASSES), [this.pooled, CLASSES]);
    this.add("b2", new Float32Array(CLASSES), [CLASSES]);
  }

  logits(x: tf.Tensor2D, values: readonly tf.Tensor[] = this.variables): tf.Tensor2D {
    return tf.tidy(() => {
      const [k1, c1, w2, b2] = values as [tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
      const images = tf.reshape(x, [-1, SIDE, SIDE, 1]) as tf.Tensor4D;
      const conv = tf.relu(tf.add(tf.conv2d(images, k1, 1, "valid"), c1)) as tf.Tensor4D;
      const pooled = tf.maxPool(conv, 2, 2, "valid");
      return tf.add(tf.matMul(tf.reshape(pooled, [-1, this.pooled]) as tf.Tensor2D, w2), b2) as tf.Tensor2D;
    });
  }
}
