/** FTRL-Proximal (numerics against Keras in golden/optax.golden.test.ts): what it is used for. */
import { createOptimizer, ftrl, leavesOf } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { randomTree, snapshot, trainWithResume } from "../helpers.ts";

describe("ftrl", () => {
  it("L1 sets the coordinates whose evidence is weak exactly to zero, and keeps the strong ones", () => {
    // a sparse linear truth: 3 informative of 12 coordinates, gradients of ½‖w − w*‖² plus noise
    const w = new Float64Array(12);
    const truth = Float64Array.from({ length: 12 }, (_, i) => (i < 3 ? 5 - i : 0));
    const opt = createOptimizer(ftrl({ lr: 0.5, l1RegularizationStrength: 4 }), { w });
    const g = new Float64Array(12);
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < 12; i++) g[i] = w[i]! - truth[i]! + 0.2 * noise();
      opt.step({ w: g });
    }
    for (let i = 3; i < 12; i++) expect(w[i], `coordinate ${i}`).toBe(0);
    for (let i = 0; i < 3; i++) expect(Math.abs(w[i]! - truth[i]!), `coordinate ${i}`).toBeLessThan(0.5);
    // without L1 the noise leaves every coordinate non-zero
    const dense = new Float64Array(12);
    const plain = createOptimizer(ftrl({ lr: 0.5 }), { w: dense });
    seed = 7;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < 12; i++) g[i] = dense[i]! - truth[i]! + 0.2 * noise();
      plain.step({ w: g });
    }
    expect(Array.from(dense).filter((x) => x === 0)).toEqual([]);
  });

  it("from a zero accumulator, a zero gradient leaves the params as they were (Keras's become NaN)", () => {
    const params = randomTree("float64", 3);
    const before = snapshot(params);
    const opt = createOptimizer(ftrl({ initialAccumulatorValue: 0 }), params);
    const zero = randomTree("float64", 3);
    for (const leaf of leavesOf(zero)) leaf.fill(0);
    opt.step(zero);
    expect(snapshot(params)).toEqual(before);
  });

  it("at lr 0 (a warmup's first step) nothing moves and nothing is accumulated", () => {
    const params = randomTree("float64", 4);
    const before = snapshot(params);
    const opt = createOptimizer(ftrl({ lr: (c) => 0.1 * Math.min(1, c / 5) }), params);
    const state = JSON.stringify(opt.stateDict().state, (k, v) => (k === "count" ? undefined : v));
    opt.step(randomTree("float64", 5));
    expect(snapshot(params)).toEqual(before);
    expect(JSON.stringify(opt.stateDict().state, (k, v) => (k === "count" ? undefined : v))).toBe(state);
    opt.step(randomTree("float64", 6));
    expect(snapshot(params)).not.toEqual(before);
  });

  for (const dtype of ["float32", "float64"] as const) {
    it(`resume is bit-identical (${dtype})`, () => {
      const make = () =>
        ftrl({
          lr: (c: number) => 0.1 / (1 + c / 20),
          l1RegularizationStrength: 0.01,
          l2ShrinkageRegularizationStrength: 0.02,
          beta: 0.1,
        });
      const straight = trainWithResume(make, dtype, 40);
      expect(straight).not.toEqual(snapshot(randomTree(dtype, 11)));
      expect(trainWithResume(make, dtype, 40, 17)).toEqual(straight);
      expect(trainWithResume(make, dtype, 40, 1)).toEqual(straight);
    });
  }
});
