/**
 * A small fully connected tanh network as TF.js variables, seeded from the Lab's own generator, with
 * its input derivatives written as ordinary TF.js ops (forward mode), so that a loss on u, u′, u″ or
 * ∇ₓu is differentiated with respect to the weights by one `tf.variableGrads` / `optimizer.minimize`.
 *
 * Layers: z_l = a_{l−1} W_l + b_l, a_l = tanh z_l for the hidden layers, the last layer linear.
 * Forward-mode derivatives through a hidden layer (s = 1 − a²):
 *   z′ = a′_{l−1} W,  z″ = a″_{l−1} W,  a′ = s·z′,  a″ = −2a·s·z′² + s·z″.
 * Weights start N(0, gain²/fan_in), biases 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Mulberry32, normal } from "momenta-optim";

export interface TanhNet {
  sizes: readonly number[];
  weights: tf.Variable[];
  biases: tf.Variable[];
  /** All trainable variables (weights then biases). */
  variables: tf.Variable[];
  dispose(): void;
}

let created = 0;

/** A tanh MLP with layer widths `sizes` (input first, output last); same seed → same weights. */
export function tanhNet(sizes: readonly number[], seed: number, options: { gain?: number } = {}): TanhNet {
  if (sizes.length < 2) throw new Error("tanhNet: needs at least an input and an output size");
  const gain = options.gain ?? 1;
  const g = new Mulberry32(seed);
  const gauss = normal(() => g.next());
  // Names are unique in TF.js's registry; the optimizer adapter keys its state by them.
  const prefix = `tanhnet${created++}`;
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const fanIn = sizes[l - 1]!;
    const fanOut = sizes[l]!;
    const w = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = (gain / Math.sqrt(fanIn)) * gauss();
    // tf.variable copies its initial value: free the temporaries so nothing outlives dispose().
    const [w0, b0] = [tf.tensor2d(w, [fanIn, fanOut]), tf.zeros([fanOut])];
    weights.push(tf.variable(w0, true, `${prefix}/W${l}`));
    biases.push(tf.variable(b0, true, `${prefix}/b${l}`));
    tf.dispose([w0, b0]);
  }
  const variables = [...weights, ...biases];
  return {
    sizes,
    weights,
    biases,
    variables,
    dispose: () => {
      for (const v of variables) v.dispose();
    },
  };
}

/** The network's output for inputs x [B, d] → [B, out]. */
export function netValue(net: TanhNet, x: tf.Tensor2D): tf.Tensor2D {
  let a: tf.Tensor2D = x;
  const last = net.weights.length - 1;
  net.weights.forEach((w, l) => {
    const z = tf.add(tf.matMul(a, w), net.biases[l]!) as tf.Tensor2D;
    a = l === last ? z : tf.tanh(z);
  });
  return a;
}

/**
 * For a scalar input x [B, 1] and scalar output: u, du/dx and d²u/dx², each [B, 1], by forward-mode
 * propagation of (a, a′, a″) through the layers.
 */
export function netJet2(net: TanhNet, x: tf.Tensor2D): { u: tf.Tensor2D; du: tf.Tensor2D; d2u: tf.Tensor2D } {
  if (net.sizes[0] !== 1) throw new Error("netJet2: the input must be 1-D");
  let a: tf.Tensor = x;
  let a1: tf.Tensor = tf.onesLike(x);
  let a2: tf.Tensor | null = null; // x″ = 0: skip the first layer's z″ product
  const last = net.weights.length - 1;
  for (let l = 0; l <= last; l++) {
    const w = net.weights[l]!;
    const z = tf.add(tf.matMul(a as tf.Tensor2D, w), net.biases[l]!);
    const z1: tf.Tensor2D = tf.matMul(a1 as tf.Tensor2D, w);
    const z2: tf.Tensor2D | null = a2 === null ? null : tf.matMul(a2 as tf.Tensor2D, w);
    if (l === last) return { u: z as tf.Tensor2D, du: z1, d2u: z2 ?? tf.zerosLike(z1) };
    a = tf.tanh(z);
    const s = tf.sub(1, tf.square(a));
    a1 = tf.mul(s, z1);
    const curvature = tf.mul(tf.mul(-2, tf.mul(a, s)), tf.square(z1));
    a2 = z2 === null ? curvature : tf.add(curvature, tf.mul(s, z2));
  }
  throw new Error("unreachable");
}

/**
 * For inputs x [B, d] and a scalar output: y [B, 1] and its gradient ∂y/∂x [B, d], by forward-mode
 * propagation of the d tangent directions (stacked as [d, B, width]).
 */
export function netGrad(net: TanhNet, x: tf.Tensor2D): { y: tf.Tensor2D; dy: tf.Tensor2D } {
  const [batch, d] = x.shape;
  let a: tf.Tensor2D = x;
  let t: tf.Tensor3D | null = null; // tangents [d, B, width]; the input's are the unit vectors
  const last = net.weights.length - 1;
  for (let l = 0; l <= last; l++) {
    const w = net.weights[l]!;
    const width = w.shape[1]!;
    const z = tf.add(tf.matMul(a, w), net.biases[l]!) as tf.Tensor2D;
    // z′ along input direction k: row k of W₁ for the first layer, a′W after it.
    const tz: tf.Tensor3D =
      t === null
        ? (tf.reshape(w, [d, 1, width]) as tf.Tensor3D)
        : (tf.reshape(tf.matMul(tf.reshape(t, [d * batch, w.shape[0]!]) as tf.Tensor2D, w), [
            d,
            batch,
            width,
          ]) as tf.Tensor3D);
    if (l === last) {
      if (width !== 1) throw new Error("netGrad: the output must be scalar");
      const dy = tf.transpose(tf.reshape(tf.broadcastTo(tz, [d, batch, 1]), [d, batch])) as tf.Tensor2D;
      return { y: z, dy };
    }
    a = tf.tanh(z);
    t = tf.mul(tf.sub(1, tf.square(a)), tz) as tf.Tensor3D; // s [B, w] broadcasts over the d directions
  }
  throw new Error("unreachable");
}

/**
 * One optimizer step on `loss`; returns the loss before the step (NaN/∞ passed through). A variable
 * the loss does not depend on (e.g. the output bias under a loss on u″ alone) gets a zero gradient,
 * since the momenta adapter steps every bound variable every time.
 */
export function minimizeStep(
  optimizer: tf.Optimizer,
  loss: () => tf.Scalar,
  variables: tf.Variable[],
): number {
  const { value, grads } = tf.variableGrads(loss, variables);
  for (const v of variables) grads[v.name] ??= tf.zerosLike(v);
  optimizer.applyGradients(grads);
  const out = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}
