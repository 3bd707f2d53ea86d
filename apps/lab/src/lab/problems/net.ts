/**
 * What the Lab's TF.js networks share (the MLP, the CNN): named variables, and everything computed
 * from the logits — the cross-entropy loss, predictions, values, gradients at other values — so a
 * network only says how it turns a batch into logits. Each network's variables get names unique in
 * the process (`mlp7/w1`, `cnn2/k1`…), which are the TF.js adapter's leaf paths.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ShapedLeaf } from "momenta-optim";

export abstract class Net {
  readonly names: string[] = [];
  readonly variables: tf.Variable[] = [];

  constructor(readonly prefix: string) {}

  /** Logits [batch, classes] for images [batch, 784], with the variables or other tensors in their order. */
  abstract logits(x: tf.Tensor2D, values?: readonly tf.Tensor[]): tf.Tensor2D;

  /** Adds a variable `<prefix>/<name>` holding `values`. */
  protected add(name: string, values: Float32Array, shape: number[]): void {
    const full = `${this.prefix}/${name}`;
    this.names.push(full);
    const initial = tf.tensor(values, shape, "float32");
    this.variables.push(tf.variable(initial, true, full));
    initial.dispose(); // the variable holds its own reference to the data
  }

  /** Mean cross-entropy, or its weighted mean with one weight per example. */
  loss(
    x: tf.Tensor2D,
    y: tf.Tensor2D,
    weights?: tf.Tensor1D,
    values: readonly tf.Tensor[] = this.variables,
  ): tf.Scalar {
    return tf.tidy(() => {
      const ce = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(this.logits(x, values))), 1));
      if (!weights) return tf.mean(ce) as tf.Scalar;
      return tf.div(tf.sum(tf.mul(ce, weights)), tf.sum(weights)) as tf.Scalar;
    });
  }

  /** The predicted class of each example. */
  predict(x: tf.Tensor2D, values: readonly tf.Tensor[] = this.variables): Int32Array {
    const t = tf.tidy(() => tf.argMax(this.logits(x, values), 1));
    const out = t.dataSync() as Int32Array;
    t.dispose();
    return out;
  }

  /** Copies of the current values, in variable order. */
  values(): Float32Array[] {
    return this.variables.map((v) => (v.dataSync() as Float32Array).slice());
  }

  /** The current values as a momenta tree keyed by variable name (for the diagnostics). */
  tree(values: readonly Float32Array[] = this.values()): Record<string, ShapedLeaf> {
    return Object.fromEntries(
      this.names.map((n, i) => [n, { data: values[i]!, shape: [...this.variables[i]!.shape] }]),
    );
  }

  /** ∇loss at the given values (the variables are not touched). */
  gradientAt(values: readonly Float32Array[], x: tf.Tensor2D, y: tf.Tensor2D): Float32Array[] {
    const grads = tf.tidy(() => {
      const ts = values.map((v, i) => tf.tensor(v, this.variables[i]!.shape, "float32"));
      return tf.grads((...ps: tf.Tensor[]) => this.loss(x, y, undefined, ps))(ts);
    });
    const out = grads.map((g) => (g.dataSync() as Float32Array).slice());
    tf.dispose(grads);
    return out;
  }

  /** The loss and ∇loss at the given values, as a closure step needs them (the variables are not touched). */
  lossAndGradientAt(
    values: readonly Float32Array[],
    x: tf.Tensor2D,
    y: tf.Tensor2D,
  ): { loss: number; grads: Float32Array[] } {
    const { value, grads } = tf.tidy(() => {
      const ts = values.map((v, i) => tf.tensor(v, this.variables[i]!.shape, "float32"));
      return tf.valueAndGrads((...ps: tf.Tensor[]) => this.loss(x, y, undefined, ps))(ts);
    });
    const out = {
      loss: value.dataSync()[0]!,
      grads: grads.map((g) => (g.dataSync() as Float32Array).slice()),
    };
    tf.dispose([value, ...grads]);
    return out;
  }

  /** Sets the variables to the given values, in variable order. */
  assign(values: readonly Float32Array[]): void {
    this.variables.forEach((v, i) => {
      const t = tf.tensor(values[i]!, v.shape, "float32");
      v.assign(t);
      t.dispose();
    });
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
