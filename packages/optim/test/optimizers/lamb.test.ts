/** LAMB against Algorithm 2 of You et al. (2020), by hand, and its per-leaf trust ratio. */
import * as fc from "fast-check";
import { createOptimizer, type Dtype, lamb, leavesOf, scaleByTrustRatio, type Tree } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

const arr = (dtype: Dtype, xs: number[]) =>
  dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);
const norm = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));

/** Algorithm 2, one leaf: m, v, m̂, v̂, r = m̂/(√v̂ + ε), trust = ‖x‖/‖r + λx‖ (1 if either is 0). */
function lambByHand(
  x0: number[],
  grads: number[][],
  o: { lr: number; beta1: number; beta2: number; eps: number; lambda: number; biasCorrection: boolean },
): number[][] {
  let x = x0.slice();
  let m = x.map(() => 0);
  let v = x.map(() => 0);
  const out: number[][] = [];
  grads.forEach((g, k) => {
    const t = k + 1;
    m = m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * g[i]!);
    v = v.map((vi, i) => o.beta2 * vi + (1 - o.beta2) * g[i]! ** 2);
    const mHat = o.biasCorrection ? m.map((mi) => mi / (1 - o.beta1 ** t)) : m;
    const vHat = o.biasCorrection ? v.map((vi) => vi / (1 - o.beta2 ** t)) : v;
    const r = mHat.map((mi, i) => mi / (Math.sqrt(vHat[i]!) + o.eps));
    const u = r.map((ri, i) => ri + o.lambda * x[i]!);
    const xNorm = norm(x);
    const uNorm = norm(u);
    const trust = xNorm === 0 || uNorm === 0 ? 1 : xNorm / uNorm;
    x = x.map((xi, i) => xi - o.lr * trust * u[i]!);
    out.push(x.slice());
  });
  return out;
}

describe("lamb: single steps by hand (Algorithm 2)", () => {
  const grads = [
    [0.1, -0.2, 0.05],
    [-0.3, 0.1, 0.2],
  ];
  for (const dtype of ["float64", "float32"] as const) {
    for (const biasCorrection of [true, false]) {
      it(`two steps, decay inside the ratio, biasCorrection ${biasCorrection} (${dtype})`, () => {
        const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, lambda: 0.1, biasCorrection };
        const expected = lambByHand([3, 4, 0], grads, o);
        const params = { w: arr(dtype, [3, 4, 0]) };
        const opt = createOptimizer(
          lamb({ lr: o.lr, weightDecay: o.lambda, betas: [o.beta1, o.beta2], eps: o.eps, biasCorrection }),
          params,
        );
        grads.forEach((g, t) => {
          opt.step({ w: arr(dtype, g) });
          Array.from(params.w).forEach((x, i) => {
            expect(x).toBeCloseTo(expected[t]![i]!, dtype === "float64" ? 14 : 6);
          });
        });
      });
    }
  }
  it("the defaults are Optax's: eps 1e-6, no decay, bias correction", () => {
    const params = { w: Float64Array.from([3, 4]) };
    createOptimizer(lamb(), params).step({ w: Float64Array.from([0.1, -0.2]) });
    const [expected] = lambByHand([3, 4], [[0.1, -0.2]], {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-6,
      lambda: 0,
      biasCorrection: true,
    });
    expect(Array.from(params.w)).toEqual(expected!.map((x) => expect.closeTo(x, 15)));
  });
});

describe("lamb: the trust ratio, per leaf", () => {
  it("every leaf moves by exactly lr·‖p‖ (the ratio is ‖p‖/‖update‖), whatever the gradient scale", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.constantFrom(1e-3, 1, 1e3),
        (seed, lr, wd, gradScale) => {
          const params = randomTree("float64", seed);
          const grads = quadraticGrads("float64", seed + 1);
          const opt = createOptimizer(lamb({ lr, weightDecay: wd }), params);
          for (let t = 0; t < 3; t++) {
            const before = snapshot(params);
            const g = grads(params);
            for (const leaf of leavesOf(g)) for (let j = 0; j < leaf.length; j++) leaf[j]! *= gradScale;
            opt.step(g);
            snapshot(params).forEach((leaf, i) => {
              const step = norm(leaf.map((x, j) => x - before[i]![j]!));
              expect(step).toBeCloseTo(lr * norm(before[i]!), 12);
            });
          }
        },
      ),
      { numRuns: 30, seed: 11 },
    );
  });
  it("the 0-norm cases leave the update unscaled: zero params, zero update", () => {
    const tx = scaleByTrustRatio();
    const params: Tree = { zero: Float64Array.from([0, 0]), some: Float64Array.from([3, 4]) };
    const updates: Tree = { zero: Float64Array.from([0.5, -0.25]), some: Float64Array.from([0, 0]) };
    const out = tx.update(updates, tx.init(params), params) as Record<string, Float64Array>;
    expect(Array.from(out.zero!)).toEqual([0.5, -0.25]); // ‖p‖ = 0: ratio 1, so a zero-initialized leaf moves
    expect(Array.from(out.some!)).toEqual([0, 0]); // ‖u‖ = 0: ratio 1 (no 0/0)
    const scaled = tx.update(
      { zero: Float64Array.from([1, 0]), some: Float64Array.from([0, 2]) },
      null,
      params,
    ) as Record<string, Float64Array>;
    expect(Array.from(scaled.some!)).toEqual([0, 5]); // ‖p‖/‖u‖ = 5/2
  });
  it("a zero-initialized leaf trains as Adam with lr (ratio 1) on its first step", () => {
    const params = { w: Float64Array.from([0, 0]) };
    createOptimizer(lamb({ lr: 0.1, eps: 0 }), params).step({ w: Float64Array.from([2, -3]) });
    expect(Array.from(params.w)).toEqual([-0.1, 0.1]);
  });
});
