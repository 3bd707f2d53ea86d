/**
 * A deep narrow MLP on MNIST — 784 → width × depth (sigmoid or tanh) → 10, Glorot-initialized — and a
 * per-layer trace of training: for each weight matrix W_l and step t, the gradient norm ‖g_l‖, the
 * relative gradient ‖g_l‖/‖W_l‖ and the relative update ‖ΔW_l‖/‖W_l‖ (ΔW_l = W_l after − before the
 * step). Backpropagation multiplies by φ'(z)·W at every layer (φ' ≤ 1/4 for a sigmoid), so the
 * gradients reaching the first layers can be orders of magnitude smaller than the last layer's: the
 * vanishing-gradient problem.
 */

import type { AnyTransformation } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { distance, norm } from "./least-squares.ts";
import { type Activation, batchOrder, Mlp, type MlpSpec, trainStep } from "./mlp.ts";
import { CLASSES, type DigitTensors, PIXELS } from "./mnist.ts";

export function deepNarrowSpec(o: {
  depth: number;
  width: number;
  activation: Activation;
  seed: number;
}): MlpSpec {
  return {
    sizes: [PIXELS, ...new Array<number>(o.depth).fill(o.width), CLASSES],
    activation: o.activation,
    init: "glorot",
    seed: o.seed,
  };
}

export interface LayerTrace {
  /** Per weight layer (input side first), the mean over steps. */
  gradNorm: number[];
  relGrad: number[];
  relUpdate: number[];
  /** Per layer, the root-mean-square of the nonzero gradient entries (to compare with Adam's ε; blank pixels give exact zeros). */
  gradRms: number[];
  /** ‖W_l(end) − W_l(start)‖/‖W_l(start)‖ over the whole run. */
  movement: number[];
  losses: number[];
}

/** Trains `spec` with `tx` for `steps` minibatches and traces every weight layer. */
export function traceLayers(
  spec: MlpSpec,
  tx: AnyTransformation,
  train: DigitTensors,
  o: { steps: number; batchSize: number; seed: number },
): LayerTrace {
  const net = new Mlp(spec);
  const opt = tfjsOptimizer(tx);
  try {
    const layers = Array.from({ length: net.depth }, (_, l) => net.weightIndex(l + 1));
    const sums = {
      gradNorm: layers.map(() => 0),
      relGrad: layers.map(() => 0),
      relUpdate: layers.map(() => 0),
    };
    const sq = layers.map(() => 0);
    const nonzero = layers.map(() => 0);
    const start = net.values();
    let before = start;
    const epochs = Math.ceil((o.steps * o.batchSize) / train.size);
    const order = batchOrder(train.size, o.batchSize, epochs, o.seed).slice(0, o.steps);
    const losses: number[] = [];
    for (const idx of order) {
      const { loss, grads } = trainStep(net, opt, train, idx, { keepGrads: true });
      const after = net.values();
      layers.forEach((k, l) => {
        const w = norm(before[k]!);
        const g = norm(grads![k]!);
        sums.gradNorm[l]! += g;
        sums.relGrad[l]! += g / w;
        sums.relUpdate[l]! += distance(after[k]!, before[k]!) / w;
        sq[l]! += g * g;
        nonzero[l]! += grads![k]!.reduce((c, x) => c + (x !== 0 ? 1 : 0), 0);
      });
      losses.push(loss);
      before = after;
    }
    const n = order.length;
    return {
      gradNorm: sums.gradNorm.map((s) => s / n),
      relGrad: sums.relGrad.map((s) => s / n),
      relUpdate: sums.relUpdate.map((s) => s / n),
      gradRms: sq.map((s, l) => Math.sqrt(s / Math.max(1, nonzero[l]!))),
      movement: layers.map((k) => distance(before[k]!, start[k]!) / norm(start[k]!)),
      losses,
    };
  } finally {
    opt.dispose();
    net.dispose();
  }
}
