import { adamw, createOptimizer, skipNonFinite } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

describe("skipNonFinite", () => {
  it("a NaN/Inf gradient leaves params and state untouched and is counted", () => {
    const params = randomTree("float32", 2);
    const opt = createOptimizer(
      skipNonFinite(adamw({ lr: 0.1, weightDecay: 0.1 }), { maxConsecutive: 2 }),
      params,
    );
    const grads = quadraticGrads("float32", 3);
    opt.step(grads(params));
    const p0 = snapshot(params);
    const inner0 = JSON.stringify(opt.stateDict().state);
    const bad = grads(params) as { gain: Float32Array };
    bad.gain[1] = Number.NaN;
    opt.step(bad);
    const bad2 = grads(params) as { blocks: Float32Array[] };
    bad2.blocks[0]![3] = Number.POSITIVE_INFINITY;
    opt.step(bad2);
    expect(snapshot(params)).toEqual(p0);
    const s = opt.state;
    expect(s.skipped).toBe(2);
    expect(s.consecutive).toBe(2);
    expect(
      JSON.stringify((JSON.parse(JSON.stringify(opt.stateDict().state)) as { inner: unknown }).inner),
    ).toBe(JSON.stringify((JSON.parse(inner0) as { inner: unknown }).inner));
    // a third in a row is too many: it throws, naming where, and still changes nothing
    const bad3 = grads(params) as { dense: { bias: Float32Array } };
    bad3.dense.bias[0] = Number.NaN;
    expect(() => opt.step(bad3)).toThrow(
      /skipNonFinite: 3 non-finite gradients in a row \(maxConsecutive 2\); first at 'dense\.bias'/,
    );
    expect(snapshot(params)).toEqual(p0);
    // a finite gradient goes through and resets the run
    opt.step(grads(params));
    expect(snapshot(params)).not.toEqual(p0);
    expect(opt.state.consecutive).toBe(0);
    expect(opt.state.skipped).toBe(2);
  });
  it("without it, a NaN reaches the params (the PyTorch behaviour)", () => {
    const params = { w: Float64Array.from([1]) };
    const opt = createOptimizer(adamw(), params);
    opt.step({ w: Float64Array.from([Number.NaN]) });
    expect(Number.isNaN(params.w[0]!)).toBe(true);
  });
});
