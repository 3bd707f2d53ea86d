import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";
import { adam } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { minimizeStep, netGrad, netJet2, netValue, tanhNet } from "../../../src/lab/problems/tanh-net.ts";

beforeAll(async () => {
  await useBackend("cpu");
});

describe("tanhNet", () => {
  it("is seeded: same seed, same weights; another seed, others", () => {
    const a = tanhNet([2, 5, 1], 3);
    const b = tanhNet([2, 5, 1], 3);
    const c = tanhNet([2, 5, 1], 4);
    expect(Array.from(a.weights[0]!.dataSync())).toEqual(Array.from(b.weights[0]!.dataSync()));
    expect(Array.from(a.weights[0]!.dataSync())).not.toEqual(Array.from(c.weights[0]!.dataSync()));
    for (const n of [a, b, c]) n.dispose();
  });

  it("netJet2 gives u, u′, u″ matching the value and its finite differences", () => {
    const net = tanhNet([1, 8, 8, 1], 7, { gain: 1.5 });
    const xs = [-0.7, 0, 0.3, 0.9];
    const h = 1e-2; // float32: truncation ~h², rounding ~1e-7/h²; 1e-2 balances them for u″
    const at = (v: number[]) => Array.from(netValue(net, tf.tensor2d(v, [v.length, 1])).dataSync());
    const jet = netJet2(net, tf.tensor2d(xs, [xs.length, 1]));
    const u = Array.from(jet.u.dataSync());
    const du = Array.from(jet.du.dataSync());
    const d2u = Array.from(jet.d2u.dataSync());
    const up = at(xs.map((x) => x + h));
    const um = at(xs.map((x) => x - h));
    const u0 = at(xs);
    xs.forEach((_, i) => {
      expect(u[i]).toBeCloseTo(u0[i]!, 5);
      expect(Math.abs(du[i]! - (up[i]! - um[i]!) / (2 * h))).toBeLessThan(
        2e-3 * Math.max(1, Math.abs(du[i]!)),
      );
      const fd2 = (up[i]! - 2 * u0[i]! + um[i]!) / (h * h);
      expect(Math.abs(d2u[i]! - fd2)).toBeLessThan(2e-2 * Math.max(1, Math.abs(d2u[i]!)));
    });
    net.dispose();
  });

  it("netGrad gives ∂y/∂x matching finite differences", () => {
    const net = tanhNet([3, 6, 5, 1], 9);
    const x = [0.9, 1.2, 1.5, 1.1, 0.8, 2.0];
    const { y, dy } = netGrad(net, tf.tensor2d(x, [2, 3]));
    expect(dy.shape).toEqual([2, 3]);
    const at = (v: number[]) => Array.from(netValue(net, tf.tensor2d(v, [2, 3])).dataSync());
    expect(Array.from(y.dataSync())).toEqual(at(x));
    const g = dy.arraySync();
    const h = 1e-2;
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 3; k++) {
        const xp = [...x];
        const xm = [...x];
        xp[3 * b + k]! += h;
        xm[3 * b + k]! -= h;
        const fd = (at(xp)[b]! - at(xm)[b]!) / (2 * h);
        expect(Math.abs(g[b]![k]! - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    }
    net.dispose();
  });

  it("a loss on u″ trains through the momenta adapter without leaking tensors", () => {
    const net = tanhNet([1, 6, 1], 1);
    const opt = tfjsOptimizer(adam({ lr: 1e-2 }));
    const x = tf.tensor2d([0.1, 0.5, 0.9], [3, 1]);
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      losses.push(
        minimizeStep(
          opt,
          () => tf.mean(tf.square(tf.add(netJet2(net, x).d2u, 1))) as tf.Scalar,
          net.variables,
        ),
      );
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[29]!).toBeLessThan(losses[0]!);
    opt.dispose();
    net.dispose();
    x.dispose();
  });
});
