/**
 * The training loop: MNIST digits, a tfjs-layers model compiled with a momenta optimizer
 * (`tfjsOptimizer`), batches in an order drawn from a seeded Mulberry32, one `trainOnBatch` per batch,
 * then — every epoch — the held-out digits evaluated, the metrics written and a checkpoint saved
 * (checkpoint.ts: written so that a kill at any moment leaves a complete one to resume).
 *
 * Everything that decides the numbers is seeded or saved: the initial weights (seeded initializers),
 * the batch order (the generator's state is in the checkpoint), the optimizer's full state (in the
 * model's optimizer weights). So a run resumed from epoch k's checkpoint ends with the same weights,
 * bit for bit, as the run that never stopped. A fresh run checkpoints its initial state (epoch 0)
 * before the first batch, so a run killed at any point after it started can be resumed.
 *
 * A resumed run builds its model from the config and loads the checkpoint's weights and optimizer
 * state into it, once they passed `restoreCheckpoint`'s checks — before anything is written.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CLASSES, type Digits, loadDigits, PIXELS, splitDigits } from "@momenta/mnist/node";
import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { AnyTransformation, OptimizerStats } from "momenta-optim";
import { formatStats, Mulberry32, observe, toJsonl } from "momenta-optim";
import { type MomentaOptimizer, tfjsOptimizer } from "momenta-optim/tfjs";
import {
  type Checkpoint,
  OPTIMIZER_NAME,
  restoreCheckpoint,
  saveCheckpoint,
  writeFileAtomic,
} from "./checkpoint.ts";
import { type Config, stepsPerEpoch } from "./config.ts";
import { type EpochMetrics, writeMetrics } from "./metrics.ts";
import { buildModel, describeModel } from "./model.ts";
import { buildTransform } from "./optimizer.ts";
import { type Output, ProgressBar } from "./progress.ts";

export { OPTIMIZER_NAME };

export interface TrainOptions {
  /** Where the progress bar and notes go. */
  stderr: Output;
  /** Show the progress bar (default true). */
  progress?: boolean;
  /**
   * Continue from this checkpoint (`openCheckpoint`, `checkProgress`); `config` is its config with
   * what the command line may change (epochs, out, backend, the diagnostics log).
   */
  resume?: Checkpoint;
  /**
   * Called once the run is set up and the checkpoint it resumes (if any) has passed every check —
   * before anything is written (what the CLI says about the run goes here, not before a refusal).
   */
  onReady?: () => void;
  /** Called after each epoch's checkpoint is written. */
  onEpoch?: (row: EpochMetrics) => void;
  /** Put before each progress line (e.g. the recipe's name in a comparison). */
  label?: string;
  /** Stop once this many epochs are done (the run keeps its length and schedule; resume it later). */
  stopAfter?: number;
}

export interface TrainResult {
  config: Config;
  /** The backend that ran (wasm may have fallen back to cpu). */
  backend: string;
  /** Every epoch's metrics, from the first (including those before a resume). */
  metrics: EpochMetrics[];
  /** The final weights, by variable name order of the model. */
  weights: Float32Array[];
  /** The momenta kernel that ran the updates ("wasm", "js" or "reference"). */
  kernel: string;
  seconds: number;
}

function tensors(set: Digits): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const oneHot = new Float32Array(set.size * CLASSES);
  set.labels.forEach((label, i) => {
    oneHot[i * CLASSES + label] = 1;
  });
  return { x: tf.tensor2d(set.images, [set.size, PIXELS]), y: tf.tensor2d(oneHot, [set.size, CLASSES]) };
}

async function evaluate(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<[number, number]> {
  const out = model.evaluate(x, y, { batchSize: 500 }) as tf.Scalar[];
  const values = await Promise.all(out.map((s) => s.data()));
  tf.dispose(out);
  return [values[0]![0]!, values[1]![0]!];
}

/** The run's transform: the config's optimizer, wrapped in `observe` when diagnostics are on. */
function runTransform(config: Config, onStats: (stats: OptimizerStats) => void) {
  const built = buildTransform(config);
  const watch = config.diagnostics;
  // Diagnostics wrap the optimizer in `observe` (which runs the reference chain, not a fused kernel).
  const tx: AnyTransformation = watch ? observe(built.tx, onStats, { every: watch.every }) : built.tx;
  return { tx, lrAt: built.lrAt };
}

/** The run's model, compiled with its momenta optimizer (registered under OPTIMIZER_NAME). */
function compiledModel(config: Config, tx: AnyTransformation) {
  const optimizer = tfjsOptimizer(tx, { name: OPTIMIZER_NAME });
  const model = buildModel(config.model, config.seed);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return { model, optimizer };
}

function disposeModel(model: tfl.LayersModel, optimizer: MomentaOptimizer): void {
  model.dispose();
  optimizer.dispose();
}

/**
 * Runs every check `train` makes on a checkpoint before resuming it (model.json, weights.bin and the
 * optimizer state against the run's config), without training: for `--print-config` and a run with
 * nothing left to do. Throws a ConfigError on the first problem; writes nothing.
 */
export async function checkResume(config: Config, checkpoint: Checkpoint): Promise<void> {
  await useBackend(config.backend);
  const { tx } = runTransform(config, () => {});
  const { model, optimizer } = compiledModel(config, tx);
  try {
    await restoreCheckpoint(checkpoint, config, model, optimizer, tx);
  } finally {
    disposeModel(model, optimizer);
  }
}

export async function train(config: Config, options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const { stderr } = options;
  const resume = options.resume;
  const { backend, note } = await useBackend(config.backend);
  if (note) stderr.write(`note: ${note}\n`);
  let lastStats: OptimizerStats | undefined;
  const watch = config.diagnostics;
  const { tx, lrAt } = runTransform(config, (stats) => {
    lastStats = stats;
    // Appended, never truncated: the log is the user's file (a resumed run adds to it).
    if (watch?.jsonl) appendFileSync(watch.jsonl, toJsonl(stats));
  });
  const { model, optimizer } = compiledModel(config, tx);
  let sets: { x: tf.Tensor2D; y: tf.Tensor2D }[] = [];
  try {
    // Everything is checked before anything is written.
    if (resume) await restoreCheckpoint(resume, config, model, optimizer, tx);
    options.onReady?.();
    const digits = splitDigits(loadDigits(), config.data.train, config.data.test);
    sets = [tensors(digits.train), tensors(digits.test)];
    const [trainSet, testSet] = sets as [
      { x: tf.Tensor2D; y: tf.Tensor2D },
      { x: tf.Tensor2D; y: tf.Tensor2D },
    ];
    const rng = new Mulberry32(resume ? resume.state.rng : config.seed);
    const metrics: EpochMetrics[] = resume ? [...resume.state.metrics] : [];
    let step = resume ? resume.state.step : 0;
    mkdirSync(config.out, { recursive: true });
    writeFileAtomic(join(config.out, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    const progress = (epoch: number) => ({ epoch, step, rng: rng.state, config, metrics });
    // The initial state, so that a run killed before its first epoch ends can be resumed too.
    if (!resume) await saveCheckpoint(config.out, model, progress(0));
    const n = digits.train.size;
    const batches = stepsPerEpoch(config);
    const bar = new ProgressBar(stderr, options.progress ?? true);
    const label = options.label ? `${options.label} ` : "";
    stderr.write(
      `${label}${describeModel(config.model)} on ${backend}, ${n} training / ${digits.test.size} test digits, ` +
        `${config.epochs} epoch${config.epochs === 1 ? "" : "s"} of ${batches} batches${resume ? `, resuming after epoch ${resume.state.epoch}` : ""}\n`,
    );
    const lastEpoch = Math.min(config.epochs, options.stopAfter ?? config.epochs);
    for (let epoch = (resume?.state.epoch ?? 0) + 1; epoch <= lastEpoch; epoch++) {
      const epochStart = Date.now();
      const order = rng.permutation(n);
      let seen = 0;
      let lossSum = 0;
      let accSum = 0;
      let lr = lrAt(step);
      bar.start(`${label}epoch ${epoch}/${config.epochs}`, batches);
      for (let b = 0; b < batches; b++) {
        const idx = order.subarray(b * config.batchSize, Math.min(n, (b + 1) * config.batchSize));
        const [xb, yb] = tf.tidy(() => {
          const i = tf.tensor1d(idx, "int32");
          return [tf.gather(trainSet.x, i), tf.gather(trainSet.y, i)];
        });
        lr = lrAt(step);
        const [loss, accuracy] = (await model.trainOnBatch(xb!, yb!)) as number[];
        tf.dispose([xb!, yb!]);
        step++;
        seen += idx.length;
        lossSum += loss! * idx.length;
        accSum += accuracy! * idx.length;
        bar.update(b + 1, { loss: lossSum / seen, accuracy: accSum / seen, lr });
      }
      const [testLoss, testAccuracy] = await evaluate(model, testSet.x, testSet.y);
      const row: EpochMetrics = {
        epoch,
        step,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: accSum / seen,
        testLoss,
        testAccuracy,
        seconds: (Date.now() - epochStart) / 1000,
      };
      metrics.push(row);
      writeMetrics(config.out, config, metrics);
      await saveCheckpoint(config.out, model, progress(epoch));
      bar.finish(
        batches,
        { loss: row.trainLoss, accuracy: row.trainAccuracy, lr },
        `test loss ${testLoss.toFixed(4)}  test acc ${(100 * testAccuracy).toFixed(2)}%`,
      );
      if (lastStats) stderr.write(`${label}diagnostics: ${formatStats(lastStats)}\n`);
      options.onEpoch?.(row);
    }
    return {
      config,
      backend,
      metrics,
      weights: model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()),
      kernel: optimizer.momenta?.kernel ?? "none",
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    tf.dispose(sets.flatMap((s) => [s.x, s.y]));
    disposeModel(model, optimizer);
  }
}
