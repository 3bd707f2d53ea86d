/**
 * A small fully connected classifier written with TF.js ops, trained through momenta's TF.js adapter
 * (`tfjsOptimizer`): for layers l = 1…L with weights W_l [n_{l−1}, n_l] and biases b_l,
 *
 *     a_0 = x,   z_l = a_{l−1}·W_l + b_l,   a_l = φ(N(z_l)) (l < L),   logits = z_L,
 *     loss = Σ_i c_i·CE(softmax(logits_i), y_i) / Σ_i c_i   (c_i = 1: the mean cross-entropy),
 *
 * with φ ReLU, tanh or sigmoid and N the identity or, with `batchNormGamma: γ`, a batch normalization
 * with a fixed scale, N(z) = γ·(z − mean_batch z)/√(var_batch z + 1e-5) (no learned shift).
 *
 * Initial weights come from a seeded Mulberry32 (Glorot-uniform ±√(6/(fan_in + fan_out)), TF.js's
 * default, or He-normal N(0, 2/fan_in)), biases start at 0: the same seed gives the same network, on
 * any backend. Each network's variables get names unique in the process (`mlp7/w1`, `mlp7/b1`…), which
 * are the adapter's leaf paths, so masks and partitions select leaves by name. `splitLast` keeps the
 * output layer's last column (`w_L_last`, `b_L_last`) in leaves of its own — the same function, but a
 * per-leaf mask can then treat one class's output weights differently.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { AnyTransformation, OptimizerHandle, ShapedLeaf } from "momenta-optim";
import { Mulberry32, normal, scheduleFreeEvalParams } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import type { DigitTensors } from "./mnist.ts";
import { Net } from "./net.ts";

export { Net };

export type Activation = "relu" | "tanh" | "sigmoid";

export interface MlpSpec {
  /** Layer widths, input first and classes last, e.g. [784, 64, 10]. */
  sizes: readonly number[];
  activation?: Activation;
  init?: "glorot" | "he";
  /** Put a fixed-scale batch normalization before each hidden activation. */
  batchNormGamma?: number;
  splitLast?: boolean;
  seed: number;
}

let created = 0;

export class Mlp extends Net {
  /** Weight layers. */
  readonly depth: number;
  private readonly act: Activation;

  constructor(readonly spec: MlpSpec) {
    super(`mlp${++created}`);
    const { sizes, seed } = spec;
    if (sizes.length < 2) throw new RangeError("mlp: give at least an input and an output width");
    this.depth = sizes.length - 1;
    this.act = spec.activation ?? "relu";
    const g = new Mulberry32(seed);
    const gauss = normal(() => g.next());
    const add = (name: string, values: Float32Array, shape: number[]) => this.add(name, values, shape);
    for (let l = 1; l <= this.depth; l++) {
      const fanIn = sizes[l - 1]!;
      const fanOut = sizes[l]!;
      const w = new Float32Array(fanIn * fanOut);
      if ((spec.init ?? "glorot") === "he") {
        const s = Math.sqrt(2 / fanIn);
        for (let i = 0; i < w.length; i++) w[i] = s * gauss();
      } else {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < w.length; i++) w[i] = limit * (2 * g.next() - 1);
      }
      if (l === this.depth && spec.splitLast) {
        // Columns 0…C−2 and column C−1 of the same Glorot draw: the split changes nothing else.
        const rest = new Float32Array(fanIn * (fanOut - 1));
        const last = new Float32Array(fanIn);
        for (let r = 0; r < fanIn; r++) {
          rest.set(w.subarray(r * fanOut, r * fanOut + fanOut - 1), r * (fanOut - 1));
          last[r] = w[r * fanOut + fanOut - 1]!;
        }
        add(`w${l}`, rest, [fanIn, fanOut - 1]);
        add(`b${l}`, new Float32Array(fanOut - 1), [fanOut - 1]);
        add(`w${l}_last`, last, [fanIn, 1]);
        add(`b${l}_last`, new Float32Array(1), [1]);
      } else {
        add(`w${l}`, w, [fanIn, fanOut]);
        add(`b${l}`, new Float32Array(fanOut), [fanOut]);
      }
    }
  }

  /** The weight matrix of layer l (1-based) among `values` (default: the variables). */
  weightIndex(l: number): number {
    return this.names.indexOf(`${this.prefix}/w${l}`);
  }

  /** Logits for a batch, with the variables or with other tensors in the same order. */
  logits(x: tf.Tensor2D, values: readonly tf.Tensor[] = this.variables): tf.Tensor2D {
    return tf.tidy(() => {
      let a: tf.Tensor2D = x;
      let k = 0;
      for (let l = 1; l <= this.depth; l++) {
        const w = values[k++] as tf.Tensor2D;
        const b = values[k++]!;
        let z = tf.add(tf.matMul(a, w), b) as tf.Tensor2D;
        if (l === this.depth) {
          if (this.spec.splitLast) {
            const wl = values[k++] as tf.Tensor2D;
            const bl = values[k++]!;
            z = tf.concat([z, tf.add(tf.matMul(a, wl), bl) as tf.Tensor2D], 1);
          }
          return z;
        }
        if (this.spec.batchNormGamma !== undefined) {
          const { mean, variance } = tf.moments(z, 0);
          z = tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), this.spec.batchNormGamma);
        }
        a = this.act === "relu" ? tf.relu(z) : this.act === "tanh" ? tf.tanh(z) : tf.sigmoid(z);
      }
      throw new Error("unreachable");
    });
  }
}

/** Accuracy and mean loss of the network on a set (optionally at other values than the variables'). */
export function evaluate(
  net: Net,
  set: DigitTensors,
  values?: readonly Float32Array[],
): { accuracy: number; loss: number; predictions: Int32Array } {
  const tensors = values?.map((v, i) => tf.tensor(v, net.variables[i]!.shape, "float32"));
  try {
    const predictions = net.predict(set.x, tensors ?? net.variables);
    const l = net.loss(set.x, set.y, undefined, tensors ?? net.variables);
    const loss = l.dataSync()[0]!;
    l.dispose();
    let right = 0;
    predictions.forEach((p, i) => {
      if (p === set.labels[i]) right++;
    });
    return { accuracy: right / set.size, loss, predictions };
  } finally {
    if (tensors) tf.dispose(tensors);
  }
}

/** The order of minibatches: a fresh seeded permutation per epoch, the last partial batch kept. */
export function batchOrder(size: number, batchSize: number, epochs: number, seed: number): Int32Array[] {
  const g = new Mulberry32(seed);
  const out: Int32Array[] = [];
  for (let e = 0; e < epochs; e++) {
    const order = g.permutation(size);
    for (let at = 0; at < size; at += batchSize) out.push(order.subarray(at, Math.min(size, at + batchSize)));
  }
  return out;
}

export interface StepResult {
  loss: number;
  /** The gradients, in variable order, when asked for. */
  grads?: Float32Array[];
}

/**
 * One optimizer step on the examples `idx` of `set` (weighted by `weights[i]` per example when given):
 * the gradients come from TF.js's autodiff, the update from the momenta transform behind `opt`.
 */
export function trainStep(
  net: Net,
  opt: tf.Optimizer,
  set: DigitTensors,
  idx: Int32Array,
  options: { weights?: Float32Array; keepGrads?: boolean } = {},
): StepResult {
  const [xb, yb, wb] = tf.tidy(() => {
    const i = tf.tensor1d(idx, "int32");
    const w = options.weights ? tf.tensor1d(Float32Array.from(idx, (k) => options.weights![k]!)) : undefined;
    return [tf.gather(set.x, i) as tf.Tensor2D, tf.gather(set.y, i) as tf.Tensor2D, w] as const;
  });
  const { value, grads } = tf.variableGrads(() => net.loss(xb, yb, wb), net.variables);
  const kept = options.keepGrads
    ? net.names.map((n) => (grads[n]!.dataSync() as Float32Array).slice())
    : undefined;
  opt.applyGradients(grads);
  const loss = value.dataSync()[0]!;
  tf.dispose([xb, yb, ...(wb ? [wb] : []), value, ...Object.values(grads)]);
  return kept ? { loss, grads: kept } : { loss };
}

/**
 * One step of a closure transform (SAM, L-BFGS) on the examples `idx` of `set`, through momenta's own
 * optimizer: `params` holds the net's values (`net.tree()` — the optimizer's params), the closure
 * evaluates the minibatch loss and gradient wherever the transform puts them, and the net's variables
 * are set to the result. Returns the loss of the step's first evaluation, as PyTorch's `step` does.
 */
export function closureStep(
  net: Net,
  opt: OptimizerHandle<unknown>,
  set: DigitTensors,
  idx: Int32Array,
): number {
  const [xb, yb] = tf.tidy(() => {
    const i = tf.tensor1d(idx, "int32");
    return [tf.gather(set.x, i) as tf.Tensor2D, tf.gather(set.y, i) as tf.Tensor2D] as const;
  });
  const leaves = net.names.map((n) => (opt.params as Record<string, ShapedLeaf>)[n]!);
  const values = leaves.map((l) => l.data as Float32Array);
  const grads = net.names.map((n) => (opt.grads as Record<string, ShapedLeaf>)[n]!.data);
  try {
    const loss = opt.step(() => {
      const r = net.lossAndGradientAt(values, xb, yb);
      r.grads.forEach((g, i) => {
        grads[i]!.set(g);
      });
      return { loss: r.loss, grads: opt.grads };
    });
    net.assign(values);
    return loss;
  } finally {
    tf.dispose([xb, yb]);
  }
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Seed of the minibatch order. */
  seed: number;
  /** One loss weight per training example. */
  weights?: Float32Array;
  /** Called after each step with its index (from 0) and minibatch loss. */
  onStep?: (step: number, loss: number) => void;
}

/**
 * Trains `net` with the momenta transform `tx` (through the TF.js adapter) and returns the minibatch
 * losses and the values to evaluate: the variables, or — for Schedule-Free AdamW — its average x.
 */
export function trainMlp(
  net: Net,
  tx: AnyTransformation,
  train: DigitTensors,
  o: FitOptions,
): { losses: number[]; evalValues: Float32Array[]; diverged: boolean } {
  const opt = tfjsOptimizer(tx);
  const losses: number[] = [];
  try {
    batchOrder(train.size, o.batchSize, o.epochs, o.seed).forEach((idx, step) => {
      const { loss } = trainStep(net, opt, train, idx, o.weights ? { weights: o.weights } : {});
      losses.push(loss);
      o.onStep?.(step, loss);
    });
    const handle = opt.momenta!;
    const sf = isScheduleFree(handle.state)
      ? (scheduleFreeEvalParams(handle.state, handle.params) as Record<string, ShapedLeaf>)
      : undefined;
    const evalValues = sf ? net.names.map((n) => sf[n]!.data as Float32Array) : net.values();
    const diverged = !evalValues.every((v) => v.every(Number.isFinite));
    return { losses, evalValues, diverged };
  } finally {
    opt.dispose();
  }
}

function isScheduleFree(state: unknown): boolean {
  let found = false;
  const walk = (s: unknown): void => {
    if (found || s === null || typeof s !== "object" || ArrayBuffer.isView(s)) return;
    if ("trainMode" in s && "z" in s && "x" in s) found = true;
    else Object.values(s).forEach(walk);
  };
  walk(state);
  return found;
}
