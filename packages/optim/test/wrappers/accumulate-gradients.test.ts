import { accumulateGradients, adam, createOptimizer, leavesOf, type Tree } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

describe("accumulateGradients", () => {
  it("k micro-steps equal one step on the mean gradient (the k-times batch), bit for bit", () => {
    const k = 4;
    const a = randomTree("float64", 1);
    const b = randomTree("float64", 1);
    const accumulated = createOptimizer(accumulateGradients(adam({ lr: (c) => 0.05 / (1 + c) }), k), a);
    const big = createOptimizer(adam({ lr: (c) => 0.05 / (1 + c) }), b);
    const micro = quadraticGrads("float64", 9);
    for (let step = 0; step < 6; step++) {
      const batch: Tree[] = [];
      for (let i = 0; i < k; i++) {
        const before = snapshot(a);
        const g = micro(a);
        batch.push(g);
        accumulated.step(g);
        if (i < k - 1) expect(snapshot(a)).toEqual(before); // nothing moves until the k-th call
      }
      // the big-batch gradient: the mean of the micro-batch gradients, summed in the same order
      const mean = structuredClone(batch[0]!) as Tree;
      leavesOf(mean).forEach((leaf, li) => {
        for (let j = 0; j < leaf.length; j++) {
          let s = 0;
          for (const g of batch) s += leavesOf(g)[li]![j]!;
          leaf[j] = s / k;
        }
      });
      big.step(mean);
      expect(snapshot(a)).toEqual(snapshot(b));
    }
    // the inner optimizer (and its lr schedule) counted 6 real updates, not 24
    expect((accumulated.state.inner as [unknown, { count: number }])[0]).toMatchObject({ count: 6 });
  });
  it("rejects k < 1", () => {
    expect(() => accumulateGradients(adam(), 0)).toThrow(
      /accumulateGradients: k = 0 is outside the allowed range \[1, inf\)/,
    );
  });
});
