/** Each building block against a hand computation, and its guard against a state made for another tree. */
import {
  addDecayedWeights,
  type GradientTransformation,
  scale,
  scaleByAdadelta,
  scaleByAdam,
  scaleByAdamax,
  scaleByLearningRate,
  scaleByNadam,
  scaleByRadam,
  scaleByRms,
  scaleByRss,
  trace,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

const v = (...x: number[]) => Float64Array.from(x);

/** Applies `tx` to a stream of single-leaf updates; returns the outputs. */
function outputs(tx: GradientTransformation<unknown>, grads: number[][], p = [2, -1]): number[][] {
  const params = { w: v(...p) };
  const state = tx.init(params);
  return grads.map((g) => Array.from((tx.update({ w: v(...g) }, state, params) as { w: Float64Array }).w));
}

const close = (a: number[][], b: number[][]) =>
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      expect(x).toBeCloseTo(b[i]![j]!, 13);
    });
  });

describe("building blocks, by hand", () => {
  it("scale and scaleByLearningRate", () => {
    close(outputs(scale(-2), [[1, -3]]), [[-2, 6]]);
    close(
      outputs(
        scaleByLearningRate((c) => [0.1, 0.2][c]!),
        [
          [1, 1],
          [1, 1],
        ],
      ),
      [
        [-0.1, -0.1],
        [-0.2, -0.2],
      ],
    );
  });
  it("addDecayedWeights adds λp, only where the mask says", () => {
    close(outputs(addDecayedWeights(0.5), [[1, 1]]), [[2, 0.5]]);
    const masked = addDecayedWeights(0.5, { mask: { w: false } });
    close(outputs(masked, [[1, 1]]), [[1, 1]]);
  });
  it("trace: first buffer is the update itself (PyTorch), then μb + (1−d)u; Nesterov adds μb", () => {
    close(
      outputs(trace({ momentum: 0.9, dampening: 0.5 }), [
        [1, 2],
        [1, 2],
      ]),
      [
        [1, 2],
        [0.9 + 0.5, 1.8 + 1],
      ],
    );
    close(
      outputs(trace({ momentum: 0.5, nesterov: true }), [
        [2, 0],
        [2, 0],
      ]),
      [
        [2 + 1, 0],
        [2 + 0.5 * 3, 0],
      ],
    );
  });
  it("scaleByAdam: first step is u/(|u| + ε)", () => {
    close(outputs(scaleByAdam({ eps: 0 }), [[3, -0.5]]), [[1, -1]]);
    const b1 = 0.9;
    const b2 = 0.999;
    const m2 = b1 * 0.1 * 3 + 0.1 * 1;
    const v2 = b2 * 0.001 * 9 + 0.001 * 1;
    const expected = m2 / (1 - b1 ** 2) / (Math.sqrt(v2) / Math.sqrt(1 - b2 ** 2) + 1e-8);
    close(
      outputs(scaleByAdam(), [
        [3, 0],
        [1, 0],
      ]).slice(1),
      [[expected, 0]],
    );
  });
  it("scaleByAdam with amsgrad keeps the largest v", () => {
    const out3 = outputs(scaleByAdam({ amsgrad: true, eps: 0, betas: [0, 0.5] }), [
      [4, 1],
      [0, 1],
      [0, 1],
      [1, 1],
    ]);
    // v after steps: 8, 4, 2, 1.5 → vmax stays 8; output = 1 / (√8/√(1−0.5⁴))
    expect(out3[3]![0]).toBeCloseTo(1 / (Math.sqrt(8) / Math.sqrt(1 - 0.5 ** 4)), 12);
  });
  it("scaleByRss (Adagrad) and scaleByRms (RMSprop, centered)", () => {
    close(
      outputs(scaleByRss({ eps: 0, initialAccumulatorValue: 0 }), [
        [3, 4],
        [4, 3],
      ]),
      [
        [1, 1],
        [4 / 5, 3 / 5],
      ],
    );
    const [o] = outputs(scaleByRms({ alpha: 0.5, eps: 0, centered: true }), [[2, 0]]);
    // s = 0.5·4 = 2, a = 0.5·2 = 1, variance 2 − 1 = 1
    expect(o![0]).toBeCloseTo(2, 14);
  });
  it("scaleByAdadelta: δ = √(d+ε)/√(s+ε)·u", () => {
    const [o] = outputs(scaleByAdadelta({ rho: 0.5, eps: 1e-6 }), [[2, 0]]);
    expect(o![0]).toBeCloseTo((Math.sqrt(1e-6) / Math.sqrt(2 + 1e-6)) * 2, 14);
  });
  it("scaleByAdamax: m/((1−β1)·max(β2·n, |u|+ε))", () => {
    close(outputs(scaleByAdamax({ eps: 0 }), [[-2, 5]]), [[-1, 1]]);
  });
  it("scaleByNadam keeps the running μ product", () => {
    const tx = scaleByNadam();
    const params = { w: v(1) };
    const s = tx.init(params);
    tx.update({ w: v(1) }, s, params);
    tx.update({ w: v(1) }, s, params);
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** (t * 0.004));
    expect(s.muProduct).toBeCloseTo(mu(1) * mu(2), 15);
  });
  it("scaleByRadam: un-preconditioned until ρ_t > 5 (the first 5 steps for β2 = 0.999)", () => {
    const out = outputs(
      scaleByRadam(),
      Array.from({ length: 7 }, () => [1, 1]),
    );
    for (let t = 0; t < 5; t++) expect(out[t]![0]).toBeCloseTo(1, 12); // m̂ of a constant gradient
    expect(Math.abs(out[5]![0]! - 1)).toBeGreaterThan(1e-3);
  });
});

describe("stateful blocks refuse updates shaped unlike their state, before writing", () => {
  const blocks: [string, () => GradientTransformation<unknown>][] = [
    ["trace", () => trace({ momentum: 0.9 })],
    ["scaleByAdam", () => scaleByAdam({ amsgrad: true })],
    ["scaleByRss", () => scaleByRss()],
    ["scaleByRms", () => scaleByRms({ centered: true })],
    ["scaleByAdadelta", () => scaleByAdadelta()],
    ["scaleByAdamax", () => scaleByAdamax()],
    ["scaleByNadam", () => scaleByNadam()],
    ["scaleByRadam", () => scaleByRadam()],
  ];
  for (const [name, make] of blocks) {
    it(name, () => {
      const tx = make();
      const state = tx.init({ w: v(1, 2) });
      const before = JSON.stringify(state, (_, x) =>
        ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x,
      );
      expect(() => tx.update({ w: v(1, 2, 3) }, state)).toThrow(
        new RegExp(`${name}: leaf 'w' has length 3 but its state has 2`),
      );
      expect(() => tx.update({ w: v(1, 2), b: v(1) }, state)).toThrow(
        /updates have 2 leaves but the state was made for 1/,
      );
      expect(
        JSON.stringify(state, (_, x) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x)),
      ).toBe(before);
    });
  }
  it("addDecayedWeights needs params", () => {
    expect(() => addDecayedWeights(0.1).update({ w: v(1) }, null)).toThrow(/needs params/);
  });
});
