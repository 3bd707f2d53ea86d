/** Properties the seed texts state, checked on random problems (fast-check, fixed seeds). */
import * as fc from "fast-check";
import {
  adam,
  adamw,
  createOptimizer,
  type GradientTransformation,
  leavesOf,
  mapTree,
  rmsprop,
  sgd,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

function run(tx: GradientTransformation<unknown>, seed: number, steps: number, gradScale = 1): number[][] {
  const params = randomTree("float64", seed);
  const grads = quadraticGrads("float64", seed + 100);
  const opt = createOptimizer(tx, params);
  for (let t = 0; t < steps; t++) {
    const g = grads(params);
    opt.step(gradScale === 1 ? g : mapTree(g, (d) => d.map((x) => x * gradScale)));
  }
  return snapshot(params);
}

function maxRel(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      worst = Math.max(worst, Math.abs(x - b[i]![j]!) / Math.max(1, Math.abs(b[i]![j]!)));
    });
  });
  return worst;
}

const seed = fc.integer({ min: 0, max: 10_000 });
const lr = fc.double({ min: 1e-4, max: 0.1, noNaN: true });
const beta = fc.double({ min: 0, max: 0.99, noNaN: true });

describe("Adam's update is invariant to multiplying the loss by a constant (eps = 0)", () => {
  it("for c from 1e-3 to 1e4 the trajectories agree to rounding", () => {
    fc.assert(
      fc.property(seed, lr, fc.constantFrom(1e-3, 0.5, 100, 1e4), fc.boolean(), (s, l, c, amsgrad) => {
        const base = run(adam({ lr: l, eps: 0, amsgrad }), s, 30);
        expect(maxRel(run(adam({ lr: l, eps: 0, amsgrad }), s, 30, c), base)).toBeLessThan(1e-12);
      }),
      { numRuns: 30, seed: 1 },
    );
  });
  it("while SGD's step scales with c", () => {
    const base = run(sgd({ lr: 0.01 }), 3, 5);
    expect(maxRel(run(sgd({ lr: 0.01 }), 3, 5, 100), base)).toBeGreaterThan(0.1);
  });
});

describe("adamw with weightDecay 0 is adam with weightDecay 0", () => {
  it("bit for bit", () => {
    fc.assert(
      fc.property(seed, lr, beta, fc.boolean(), fc.boolean(), (s, l, b1, amsgrad, maximize) => {
        const o = { lr: l, betas: [b1, 0.999] as [number, number], amsgrad, maximize, weightDecay: 0 };
        expect(run(adamw(o), s, 20)).toEqual(run(adam(o), s, 20));
      }),
      { numRuns: 30, seed: 2 },
    );
  });
  it("and differs from it once decay is on", () => {
    expect(
      maxRel(
        run(adamw({ lr: 0.01, weightDecay: 0.5 }), 1, 20),
        run(adam({ lr: 0.01, weightDecay: 0.5 }), 1, 20),
      ),
    ).toBeGreaterThan(1e-4);
  });
});

describe("adam with beta1 = 0 versus rmsprop", () => {
  // Adam(β1=0) steps lr·g/(√(v/(1−β2ᵗ)) + ε) = lr√(1−β2ᵗ)·g/(√v + ε√(1−β2ᵗ)); RMSprop steps lr·g/(√v + ε).
  it("with eps = 0 they differ exactly by Adam's bias correction: rmsprop with lr·√(1−β2ᵗ) is adam(β1=0)", () => {
    fc.assert(
      fc.property(seed, lr, fc.double({ min: 0.5, max: 0.999, noNaN: true }), (s, l, b2) => {
        const a = run(adam({ lr: l, betas: [0, b2], eps: 0 }), s, 25);
        const r = run(rmsprop({ lr: (c) => l * Math.sqrt(1 - b2 ** (c + 1)), alpha: b2, eps: 0 }), s, 25);
        expect(maxRel(a, r)).toBeLessThan(1e-12);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
  it("without the correction, RMSprop's first steps are smaller by √(1−β2)", () => {
    const params = { w: Float64Array.from([0]) };
    const a = createOptimizer(adam({ lr: 1, betas: [0, 0.99], eps: 0 }), params);
    a.step({ w: Float64Array.from([3]) });
    const q = { w: Float64Array.from([0]) };
    const r = createOptimizer(rmsprop({ lr: 1, alpha: 0.99, eps: 0 }), q);
    r.step({ w: Float64Array.from([3]) });
    expect(params.w[0]).toBeCloseTo(-1, 14); // Adam: sign of the gradient, full size
    expect(q.w[0]).toBeCloseTo(-1 / Math.sqrt(0.01), 12); // RMSprop: 1/√(1−α) = 10× larger
  });
});

describe("sgd with momentum 0 is plain gradient descent", () => {
  it("p ← p − lr·g, bit for bit", () => {
    fc.assert(
      fc.property(seed, lr, (s, l) => {
        const params = randomTree("float64", s);
        const manual = randomTree("float64", s);
        const grads = quadraticGrads("float64", s + 1);
        const grads2 = quadraticGrads("float64", s + 1);
        const opt = createOptimizer(sgd({ lr: l, momentum: 0 }), params);
        for (let t = 0; t < 10; t++) {
          opt.step(grads(params));
          const g = snapshot(grads2(manual));
          leavesOf(manual).forEach((leaf, i) => {
            for (let j = 0; j < leaf.length; j++) leaf[j] = leaf[j]! + -l * g[i]![j]!;
          });
        }
        expect(snapshot(params)).toEqual(snapshot(manual));
        expect(opt.state).toEqual([null]); // no momentum buffer is kept
      }),
      { numRuns: 20, seed: 4 },
    );
  });
});

describe("schedules", () => {
  it("the first update reads schedule(0), then 1, 2, …", () => {
    const seen: number[] = [];
    const params = { w: Float64Array.from([0]) };
    const opt = createOptimizer(
      sgd({
        lr: (c) => {
          seen.push(c);
          return c === 0 ? 1 : 0;
        },
      }),
      params,
    );
    for (let i = 0; i < 3; i++) opt.step({ w: Float64Array.from([1]) });
    expect(seen).toEqual([0, 1, 2]);
    expect(params.w[0]).toBe(-1);
  });
  it("AdamW's decoupled decay uses the scheduled lr: p ← p·(1 − lr_t·λ)", () => {
    const params = { w: Float64Array.from([2]) };
    const lrs = [0.1, 0.05, 0.2];
    const opt = createOptimizer(adamw({ lr: (c) => lrs[c]!, weightDecay: 0.5 }), params);
    let expected = 2;
    for (const l of lrs) {
      opt.step({ w: Float64Array.from([0]) }); // zero gradient: decay only
      expected *= 1 - l * 0.5;
    }
    expect(params.w[0]).toBeCloseTo(expected, 14);
  });
});

describe("decay masks", () => {
  it("masked-out leaves follow the undecayed trajectory exactly; the others do not", () => {
    const mask = (path: string) => !path.endsWith("bias");
    const masked = run(adamw({ lr: 0.01, weightDecay: 0.3, mask }), 9, 30);
    const none = run(adamw({ lr: 0.01, weightDecay: 0 }), 9, 30);
    const all = run(adamw({ lr: 0.01, weightDecay: 0.3 }), 9, 30);
    // leaf order: blocks.0, blocks.1, dense.bias, dense.weight, gain
    expect(masked[2]).toEqual(none[2]);
    expect(masked[3]).toEqual(all[3]);
    expect(masked[3]).not.toEqual(none[3]);
  });
  it("a boolean tree works too, for L2 decay inside sgd", () => {
    const treeMask = { blocks: false, dense: { bias: false, weight: true }, gain: false };
    const a = run(sgd({ lr: 0.01, momentum: 0.9, weightDecay: 0.1, mask: treeMask }), 2, 10);
    const b = run(
      sgd({ lr: 0.01, momentum: 0.9, weightDecay: 0.1, mask: (p) => p === "dense.weight" }),
      2,
      10,
    );
    expect(a).toEqual(b);
  });
});
