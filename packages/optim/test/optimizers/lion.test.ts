/** Lion against Program 1 of Chen et al. (2023), by hand, and the sign property it states. */
import * as fc from "fast-check";
import { createOptimizer, type Dtype, lion, scaleByLion } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { randomArray, rng } from "../helpers.ts";

const arr = (dtype: Dtype, xs: number[]) =>
  dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);

describe("lion: single steps by hand (Program 1)", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`two steps with decoupled decay (${dtype})`, () => {
      const lr = 0.1;
      const wd = 0.5;
      const [beta1, beta2] = [0.9, 0.99];
      const theta0 = [0.5, -1, 2];
      const grads = [
        [1, -1, 2],
        [-0.05, 0.3, -0.5],
      ];
      // Program 1: c = β1·m + (1−β1)·g; θ ← θ − lr·(sign(c) + λθ); m ← β2·m + (1−β2)·g.
      let theta = theta0.slice();
      let m = [0, 0, 0];
      const expected: number[][] = [];
      for (const g of grads) {
        const c = m.map((mi, i) => beta1 * mi + (1 - beta1) * g[i]!);
        theta = theta.map((t, i) => t - lr * (Math.sign(c[i]!) + wd * t));
        m = m.map((mi, i) => beta2 * mi + (1 - beta2) * g[i]!);
        expected.push(theta.slice());
      }
      // At step 2, c = 0.9·0.01·g1 + 0.1·g2 = [0.004, 0.021, −0.032]: the first entry follows the
      // momentum, against the sign of its gradient −0.05.
      expect(Math.sign(0.9 * 0.01 * 1 + 0.1 * -0.05)).toBe(1);

      const params = { w: arr(dtype, theta0) };
      const opt = createOptimizer(lion({ lr, weightDecay: wd, betas: [beta1, beta2] }), params);
      grads.forEach((g, t) => {
        opt.step({ w: arr(dtype, g) });
        Array.from(params.w).forEach((x, i) => {
          expect(x).toBeCloseTo(expected[t]![i]!, dtype === "float64" ? 14 : 6);
        });
      });
    });
  }
});

describe("lion: every entry of the step is exactly ±lr before decay", () => {
  it("for random gradients, betas and lr, over several steps, in float32 and float64", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1e-5, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.constantFrom<Dtype>("float32", "float64"),
        (seed, lr, b1, b2, dtype) => {
          const next = rng(seed);
          const params = { w: randomArray(dtype, 9, next) };
          const tx = lion({ lr, betas: [b1, b2] });
          const state = tx.init(params);
          for (let t = 0; t < 5; t++) {
            // gradients bounded away from 0 so that c = β1·m + (1−β1)·g is never exactly 0
            const g = randomArray(dtype, 9, next).map((x) => (x >= 0 ? x + 0.5 : x - 0.5));
            const u = (tx.update({ w: g }, state, params) as { w: Float64Array }).w;
            const lrd = dtype === "float32" ? Math.fround(lr) : lr;
            for (const x of u) expect(Math.abs(x)).toBe(lrd);
          }
        },
      ),
      { numRuns: 50, seed: 7 },
    );
  });
  it("and sign(c) = 0 only where c is exactly 0", () => {
    const tx = scaleByLion();
    const params = { w: Float64Array.from([1, 1]) };
    const out = tx.update({ w: Float64Array.from([0, -3]) }, tx.init(params), params) as { w: Float64Array };
    expect(Array.from(out.w)).toEqual([0, -1]);
  });
  it("with decay the step is −lr·(±1 + λθ); maximize flips the sign part only", () => {
    const theta = [2, -4];
    const params = { w: Float64Array.from(theta) };
    const tx = lion({ lr: 0.01, weightDecay: 0.1, maximize: true });
    const u = (tx.update({ w: Float64Array.from([3, 5]) }, tx.init(params), params) as { w: Float64Array }).w;
    expect(u[0]).toBeCloseTo(-0.01 * (-1 + 0.1 * 2), 15);
    expect(u[1]).toBeCloseTo(-0.01 * (-1 + 0.1 * -4), 15);
  });
  it("a scheduled β1 is read at each count", () => {
    // β1 = 0.999999 at count 1 makes c = 0.999999·0.01 − 1e-6 follow the momentum m = 0.01·g1,
    // against g2 = −1; with β1 = 0.9 throughout, c = 0.009 − 0.1 < 0 and the step would go back to 0
    const params = { w: Float64Array.from([0]) };
    const opt = createOptimizer(lion({ lr: 1, betas: [(c) => (c === 0 ? 0.9 : 0.999999), 0.99] }), params);
    opt.step({ w: Float64Array.from([1]) });
    opt.step({ w: Float64Array.from([-1]) });
    expect(params.w[0]).toBe(-2);
  });
});
