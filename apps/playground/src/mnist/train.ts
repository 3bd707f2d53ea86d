/**
 * One training run of the MNIST page: the MLP on the digits, batches in a seeded order each epoch,
 * every update through momenta's `tfjsOptimizer` (on webgpu: the chain's own WGSL programs), the
 * held-out accuracy after each epoch. Works on whatever backend TF.js has set.
 */
import { CLASSES, type Digits, PIXELS } from "@momenta/mnist";
import * as tf from "@tensorflow/tfjs-core";
import { Mulberry32 } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import type { DigitSplit } from "./digits.ts";
import { createMlp, type Mlp } from "./model.ts";
import type { OpsKernel, StepRecord } from "./protocol.ts";
import { mnistTransform, RECIPE, totalSteps } from "./recipe.ts";
import { encodeTensors, values } from "./record.ts";

export interface Progress {
  epoch: number;
  /** Updates made so far. */
  step: number;
  steps: number;
  loss: number;
  /** What ran the update (tfjsOptimizer's opsKernel): "webgpu", "ops", or undefined off the ops path. */
  kernel: OpsKernel;
}

export interface TrainOptions {
  /** Updates (by index) whose values before, gradients and values after are kept. */
  record?: ReadonlySet<number>;
  onStep?(p: Progress): void;
  onEpoch?(epoch: number, accuracy: number): void;
}

export interface TrainResult {
  steps: number;
  losses: number[];
  accuracies: number[];
  path: "ops" | "arrays" | undefined;
  opsKernel: OpsKernel;
  shapes: Record<string, number[]>;
  records: StepRecord[];
}

/** Images [n, 784], one-hot labels [n, 10] and the labels as int32 [n], on the backend. */
function tensors(set: Digits) {
  return {
    x: tf.tensor2d(set.images, [set.size, PIXELS]),
    y: tf.cast(tf.oneHot(tf.tensor1d(set.labels, "int32"), CLASSES), "float32") as tf.Tensor2D,
    labels: tf.tensor1d(set.labels, "int32"),
  };
}

/** The share of `set` the model classifies right (read back asynchronously). */
async function accuracy(model: Mlp, set: ReturnType<typeof tensors>): Promise<number> {
  const correct = tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(model.logits(set.x), 1), set.labels), "int32")),
  );
  const n = (await correct.data())[0]!;
  correct.dispose();
  return n / set.labels.size;
}

export async function train(data: DigitSplit, options: TrainOptions = {}): Promise<TrainResult> {
  const perEpoch = Math.floor(data.train.size / RECIPE.batch);
  const steps = totalSteps(data.train.size);
  const model = createMlp(RECIPE.hidden, RECIPE.initSeed);
  const opt = tfjsOptimizer(mnistTransform(steps), { name: "mnist" });
  const trainSet = tf.tidy(() => tensors(data.train));
  const testSet = tf.tidy(() => tensors(data.test));
  const shuffle = new Mulberry32(RECIPE.shuffleSeed);
  const losses: number[] = [];
  const accuracies: number[] = [];
  const records: StepRecord[] = [];
  try {
    for (let epoch = 0; epoch < RECIPE.epochs; epoch++) {
      const order = shuffle.permutation(data.train.size);
      for (let b = 0; b < perEpoch; b++) {
        const step = epoch * perEpoch + b;
        const { value, grads } = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(b * RECIPE.batch, (b + 1) * RECIPE.batch), "int32");
          const x = tf.gather(trainSet.x, idx);
          const y = tf.gather(trainSet.y, idx);
          return tf.variableGrads(() => model.loss(x, y), model.variables);
        });
        const kept = options.record?.has(step)
          ? { before: await values(model.variables, opt), grads: await encodeTensors(grads) }
          : undefined;
        opt.applyGradients(grads);
        tf.dispose(grads);
        if (kept)
          records.push({ step, kernel: opt.opsKernel, ...kept, after: await values(model.variables, opt) });
        // Reading the loss back waits for this step on the device: the page stays responsive.
        const loss = (await value.data())[0]!;
        value.dispose();
        losses.push(loss);
        options.onStep?.({ epoch, step: step + 1, steps, loss, kernel: opt.opsKernel });
      }
      accuracies.push(await accuracy(model, testSet));
      options.onEpoch?.(epoch + 1, accuracies.at(-1)!);
    }
    return {
      steps,
      losses,
      accuracies,
      path: opt.path,
      opsKernel: opt.opsKernel,
      shapes: Object.fromEntries(model.variables.map((v) => [v.name, [...v.shape]])),
      records,
    };
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([trainSet, testSet].flatMap((s) => [s.x, s.y, s.labels]));
  }
}
