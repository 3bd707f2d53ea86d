/** The Lab's TF.js MLP: seeded init, the split output layer, gradients, training through the adapter without leaks. */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { adamw, createOptimizer, sam, scheduleFreeAdamw, sgd } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  batchOrder,
  closureStep,
  evaluate,
  Mlp,
  trainMlp,
  trainStep,
} from "../../../src/lab/problems/mlp.ts";
import {
  type DigitTensors,
  digitTensors,
  disposeDigits,
  labBackend,
  mnistSplit,
} from "../../../src/lab/problems/mnist.ts";

let train: DigitTensors;
beforeAll(async () => {
  await labBackend();
  train = digitTensors(mnistSplit(128, 10).train);
  return () => disposeDigits(train);
});

describe("Mlp", () => {
  it("draws the same initial weights for the same seed, others for another", () => {
    const a = new Mlp({ sizes: [784, 8, 10], seed: 3 });
    const b = new Mlp({ sizes: [784, 8, 10], seed: 3 });
    const c = new Mlp({ sizes: [784, 8, 10], seed: 4 });
    expect(a.values()).toEqual(b.values());
    expect(a.values()[0]).not.toEqual(c.values()[0]);
    expect(a.names[0]).not.toBe(b.names[0]); // unique variable names per network
    for (const n of [a, b, c]) n.dispose();
  });

  it("splitLast computes the same function with the last column in leaves of its own", () => {
    const whole = new Mlp({ sizes: [784, 8, 10], seed: 5 });
    const split = new Mlp({ sizes: [784, 8, 10], seed: 5, splitLast: true });
    expect(split.names.map((n) => n.split("/")[1])).toEqual(["w1", "b1", "w2", "b2", "w2_last", "b2_last"]);
    const x = tf.slice(train.x, [0, 0], [16, 784]) as tf.Tensor2D;
    const la = whole.logits(x);
    const lb = split.logits(x);
    const [va, vb] = [la.dataSync(), lb.dataSync()];
    for (let i = 0; i < va.length; i++) expect(vb[i]).toBeCloseTo(va[i]!, 5);
    tf.dispose([x, la, lb]);
    whole.dispose();
    split.dispose();
  });

  it("gradientAt equals TF.js's variable gradients", () => {
    const net = new Mlp({ sizes: [784, 8, 10], seed: 6, activation: "tanh" });
    const { value, grads } = tf.variableGrads(() => net.loss(train.x, train.y), net.variables);
    const ours = net.gradientAt(net.values(), train.x, train.y);
    net.names.forEach((n, i) => {
      expect(Array.from(ours[i]!)).toEqual(Array.from(grads[n]!.dataSync()));
    });
    tf.dispose([value, ...Object.values(grads)]);
    net.dispose();
  });

  it("trains deterministically through the adapter and leaks no tensors", () => {
    const before = tf.memory().numTensors;
    const run = () => {
      const net = new Mlp({ sizes: [784, 8, 10], seed: 7 });
      const r = trainMlp(net, adamw({ lr: 1e-2 }), train, { epochs: 2, batchSize: 32, seed: 1 });
      const acc = evaluate(net, train, r.evalValues).accuracy;
      net.dispose();
      return { losses: r.losses, acc };
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    expect(a.losses).toHaveLength(8);
    expect(a.losses.at(-1)!).toBeLessThan(a.losses[0]!);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("evaluates Schedule-Free AdamW at its average x, not at the train-mode params y", () => {
    const net = new Mlp({ sizes: [784, 8, 10], seed: 8 });
    const r = trainMlp(net, scheduleFreeAdamw({ lr: 1e-2 }), train, { epochs: 1, batchSize: 32, seed: 1 });
    expect(r.evalValues[0]).not.toEqual(net.values()[0]);
    net.dispose();
  });
});

describe("batchOrder", () => {
  it("visits every example once per epoch, the last batch partial", () => {
    const order = batchOrder(10, 4, 2, 3);
    expect(order.map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2]);
    expect([...order.slice(0, 3).flatMap((b) => Array.from(b))].sort((p, q) => p - q)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
});

describe("closureStep", () => {
  const spec = { sizes: [784, 8, 10], activation: "relu" as const, seed: 3 };
  // Not bit for bit: the wasm backend's loss over the variables and over fresh tensors of the same values
  // differ in the last bits (2 ulps measured), so the two runs agree to float32 rounding.
  it("steps like the TF.js adapter: SAM at ρ 0 is the SGD it wraps", () => {
    const a = new Mlp(spec);
    const b = new Mlp(spec);
    const viaAdapter = tfjsOptimizer(sgd({ lr: 0.1, momentum: 0.9 }));
    const viaClosure = createOptimizer(sam(sgd({ lr: 0.1, momentum: 0.9 }), { rho: 0 }), b.tree());
    const before = tf.memory().numTensors;
    for (const idx of batchOrder(train.size, 32, 2, 1)) {
      const la = trainStep(a, viaAdapter, train, idx).loss;
      const lb = closureStep(b, viaClosure, train, idx);
      expect(Math.abs(lb - la)).toBeLessThan(1e-5 * la);
    }
    expect(tf.memory().numTensors).toBe(before);
    const [va, vb] = [a.values(), b.values()];
    va.forEach((v, i) => {
      for (let j = 0; j < v.length; j++) expect(Math.abs(vb[i]![j]! - v[j]!)).toBeLessThan(1e-5);
    });
    viaAdapter.dispose();
    a.dispose();
    b.dispose();
  });
  it("takes SAM's second gradient where it perturbed the weights", () => {
    const net = new Mlp(spec);
    const values = net.values();
    const opt = createOptimizer(sam(sgd({ lr: 0.1 }), { rho: 0.05 }), net.tree(net.values()));
    const idx = batchOrder(train.size, 32, 1, 2)[0]!;
    closureStep(net, opt, train, idx);
    // by hand: w − lr·∇L(w + ρ·g/‖g‖) on the same minibatch
    const [x, y] = tf.tidy(() => {
      const i = tf.tensor1d(idx, "int32");
      return [tf.gather(train.x, i) as tf.Tensor2D, tf.gather(train.y, i) as tf.Tensor2D];
    });
    const g = net.gradientAt(values, x, y);
    const norm = Math.sqrt(g.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
    const perturbed = values.map((v, i) => v.map((w, j) => w + (0.05 / (norm + 1e-12)) * g[i]![j]!));
    const g2 = net.gradientAt(perturbed, x, y);
    tf.dispose([x, y]);
    const now = net.values();
    values.forEach((v, i) => {
      for (let j = 0; j < v.length; j++) expect(now[i]![j]!).toBeCloseTo(v[j]! - 0.1 * g2[i]![j]!, 5);
    });
    net.dispose();
  });
});
