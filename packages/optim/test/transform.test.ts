import * as fc from "fast-check";
import {
  adam,
  applyUpdates,
  chain,
  cloneTree,
  createOptimizer,
  type GradientTransformation,
  identity,
  leavesOf,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  type Tree,
  trace,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "./helpers.ts";

/** Runs `steps` updates of `tx` from the same params and gradient stream; returns the final params. */
function trajectory(tx: GradientTransformation<unknown>, seed: number, steps = 25): number[][] {
  const params = randomTree("float64", seed);
  // The chain itself (float64 would take the WASM kernel, equal to rounding, not bit for bit)
  const opt = createOptimizer(tx, params, { kernel: "reference" });
  const grads = quadraticGrads("float64", seed + 7);
  for (let i = 0; i < steps; i++) opt.step(grads(params));
  return snapshot(params);
}

describe("chain", () => {
  it("chain(identity(), tx) ≡ tx ≡ chain(tx, identity())", () => {
    const base = trajectory(adam({ lr: 0.05 }), 1);
    expect(trajectory(chain(identity(), adam({ lr: 0.05 })), 1)).toEqual(base);
    expect(trajectory(chain(adam({ lr: 0.05 }), identity()), 1)).toEqual(base);
  });

  it("is associative (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        (seed, momentum, lr) => {
          const a = () => scale(0.5);
          const b = () => trace({ momentum });
          const c = () => scaleByLearningRate(lr);
          const left = trajectory(chain(chain(a(), b()), c()), seed, 8);
          const right = trajectory(chain(a(), chain(b(), c())), seed, 8);
          const flat = trajectory(chain(a(), b(), c()), seed, 8);
          expect(left).toEqual(flat);
          expect(right).toEqual(flat);
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });

  it("checks updates against params before any link runs", () => {
    const params = randomTree("float64", 3);
    const tx = chain(scaleByAdam(), scaleByLearningRate(0.1));
    const state = tx.init(params);
    const before = JSON.stringify(snapshot(state[0].expAvg as unknown as Tree));
    const bad = cloneTree(params) as { gain: Float64Array };
    (bad as Record<string, unknown>).gain = new Float64Array(5);
    expect(() => tx.update(bad as unknown as Tree, state, params)).toThrow(
      /'gain': expected length 2, got 5/,
    );
    expect(state[0].count).toBe(0);
    expect(JSON.stringify(snapshot(state[0].expAvg as unknown as Tree))).toBe(before);
  });

  it("rejects non-transforms", () => {
    expect(() => chain(identity(), {} as never)).toThrow(/argument 1 is not a gradient transformation/);
  });
});

describe("applyUpdates", () => {
  it("adds in place and returns the params", () => {
    const p = { w: Float64Array.from([1, 2]) };
    const out = applyUpdates(p, { w: Float64Array.from([0.5, -1]) });
    expect(out).toBe(p);
    expect(Array.from(p.w)).toEqual([1.5, 1]);
  });
  it("refuses mismatched trees without writing", () => {
    const p = { w: Float64Array.from([1, 2]) };
    expect(() => applyUpdates(p, { v: Float64Array.from([1, 1]) } as Tree)).toThrow(/keys differ/);
    expect(Array.from(p.w)).toEqual([1, 2]);
  });
});

describe("ownership", () => {
  it("createOptimizer never writes the caller's gradients", () => {
    const params = randomTree("float32", 5);
    const opt = createOptimizer(adam({ lr: 0.1, weightDecay: 0.1 }), params);
    const g = randomTree("float32", 6);
    const copy = snapshot(g);
    opt.step(g);
    opt.step(g);
    expect(snapshot(g)).toEqual(copy);
  });
  it("tx.update may reuse the update arrays it is given (documented), and never writes params", () => {
    const params = randomTree("float64", 5);
    const p0 = snapshot(params);
    const tx = sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const state = tx.init(params);
    const u = randomTree("float64", 6);
    const out = tx.update(u, state, params);
    expect(leavesOf(out)[0]).toBe(leavesOf(u)[0]);
    expect(snapshot(params)).toEqual(p0);
  });
});
