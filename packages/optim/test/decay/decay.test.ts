import {
  adamw,
  createOptimizer,
  excludeBiasAndNorm,
  linearLr,
  rescaleWeightDecay,
  sgdw,
  warmupCosineDecay,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

const f = (...x: number[]) => Float32Array.from(x);

describe("excludeBiasAndNorm", () => {
  it("decays matrices, not 1-D leaves nor paths naming bias/norm", () => {
    const mat = { data: f(1, 2, 3, 4), shape: [2, 2] };
    expect(excludeBiasAndNorm("encoder.dense.weight", mat)).toBe(true);
    expect(excludeBiasAndNorm("encoder.dense.bias", f(1, 2))).toBe(false);
    expect(excludeBiasAndNorm("encoder.LayerNorm.weight", mat)).toBe(false);
    expect(excludeBiasAndNorm("batch_normalization/gamma", mat)).toBe(false);
    expect(excludeBiasAndNorm("embedding", f(1, 2, 3))).toBe(false); // plain arrays are 1-D
  });
  it("works as an adamw mask", () => {
    const params = { w: { data: f(1, 1, 1, 1), shape: [2, 2] }, b: f(1, 1) };
    const opt = createOptimizer(adamw({ lr: 0.1, weightDecay: 0.5, mask: excludeBiasAndNorm }), params);
    opt.step({ w: { data: f(0, 0, 0, 0), shape: [2, 2] }, b: f(0, 0) });
    expect(params.w.data[0]).toBeCloseTo(0.95, 6);
    expect(params.b[0]).toBe(1);
  });
});

describe("weight decay rules", () => {
  it("rescaleWeightDecay keeps lr·λ: halve lr, double λ", () => {
    expect(rescaleWeightDecay(0.01, 1e-3, 5e-4)).toBeCloseTo(0.02, 15);
    expect(() => rescaleWeightDecay(0.01, 1e-3, 0)).toThrow(/toLr = 0 is outside/);
  });
  it("weightDecay may follow a schedule", () => {
    const params = { w: Float64Array.from([1]) };
    const opt = createOptimizer(adamw({ lr: 0.1, weightDecay: (c) => (c === 0 ? 1 : 0) }), params);
    opt.step({ w: Float64Array.from([0]) });
    opt.step({ w: Float64Array.from([0]) });
    expect(params.w[0]).toBeCloseTo(0.9, 15);
  });
  it('decayWith "multiplier": p ← p·(1 − η_t·λ) with η_t = lr_t / base lr (the AdamW paper), vs PyTorch\'s lr_t·λ', () => {
    const lr = linearLr({ lr: 0.1, startFactor: 0.5, endFactor: 1, totalIters: 2 }); // 0.05, 0.075, 0.1
    const a = { w: Float64Array.from([1]) };
    const b = { w: Float64Array.from([1]) };
    const paper = createOptimizer(adamw({ lr, weightDecay: 0.2, decayWith: "multiplier" }), a);
    const torch = createOptimizer(adamw({ lr, weightDecay: 0.2 }), b);
    for (let i = 0; i < 3; i++) {
      paper.step({ w: Float64Array.from([0]) });
      torch.step({ w: Float64Array.from([0]) });
    }
    expect(a.w[0]).toBeCloseTo((1 - 0.5 * 0.2) * (1 - 0.75 * 0.2) * (1 - 0.2), 14);
    expect(b.w[0]).toBeCloseTo((1 - 0.05 * 0.2) * (1 - 0.075 * 0.2) * (1 - 0.1 * 0.2), 14);
  });
  it('"multiplier" leaves the gradient step itself unchanged', () => {
    const lr = warmupCosineDecay({ peak: 0.1, warmupSteps: 3, decaySteps: 20 });
    const a = { w: Float64Array.from([1, -2]) };
    const b = { w: Float64Array.from([1, -2]) };
    const oa = createOptimizer(sgdw({ lr, momentum: 0.9, weightDecay: 0, decayWith: "multiplier" }), a);
    const ob = createOptimizer(sgdw({ lr, momentum: 0.9, weightDecay: 0 }), b);
    for (let i = 0; i < 10; i++) {
      oa.step({ w: a.w.map((x) => x - 0.5) });
      ob.step({ w: b.w.map((x) => x - 0.5) });
    }
    expect(a.w[0]).toBeCloseTo(b.w[0]!, 14);
    expect(() => adamw({ lr: (c) => 0.1 / (c + 1), decayWith: "multiplier" })).toThrow(
      /needs lr to be a number > 0 or a momenta schedule/,
    );
  });
});
