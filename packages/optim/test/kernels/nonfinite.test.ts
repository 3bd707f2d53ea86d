/**
 * NaN and ±∞ gradients (among huge finite ones, up to float32's largest) on every fused kind and
 * backend, against the reference chain: the JS kernels value for value; the WASM kernels with the
 * same NaN/+∞/−∞/finite pattern in every param and state entry and the finite values within float32
 * rounding. The TF.js ops path has its own test (test/tfjs/ops-nonfinite.test.ts).
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { CONFIGS, compare, floats, type Make, run } from "./special-values.ts";

describe("NaN and ±∞ gradients (and huge ones): every kind and backend as the reference chain", () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: js value for value`, () => {
      const ref = run(make, "reference", false);
      // the case does exercise them: some entries end non-finite, and (without a clip, whose norm
      // turns every gradient NaN once one is not finite) some stay finite
      expect(ref.params.some((x) => !Number.isFinite(x))).toBe(true);
      if (!name.startsWith("clip")) expect(ref.params.some(Number.isFinite)).toBe(true);
      for (const packed of [false, true]) {
        const js = run(make, "js", packed);
        // every value, NaN for NaN (the state dict's bytes may differ in a NaN's sign bit: maximize
        // negates where the chain multiplies by −1, which V8 itself may turn into a negation)
        expect(js.params).toEqual(ref.params);
        expect(js.state).toEqual(ref.state);
      }
    });
    it(`${name}: wasm, same non-finite entries, finite ones to float32 rounding`, () => {
      const ref = run(make, "reference", false);
      const wasm = run(make, "wasm", true);
      expect(compare(wasm.params, ref.params, 2e-5), "params").toBeUndefined();
      expect(compare(wasm.state, ref.state, 2e-5), "state").toBeUndefined();
    });
  }
});

describe("regressions", () => {
  const one = (make: Make, kernel: m.KernelName, g: number, steps = 3) => {
    const params = m.packTree({ w: Float32Array.from([0.5, -0.25, 1, 2]) });
    const opt = m.createOptimizer(make(), params, { kernel });
    const w = (opt.grads as { w: Float32Array }).w;
    for (let t = 0; t < steps; t++) {
      w.set([t === 0 ? g : 0.1, 0.1, -0.2, 0.3]);
      opt.step(opt.grads);
    }
    return { w: Array.from((params as { w: Float32Array }).w), state: floats(opt.state) };
  };
  it("wasm lion: a NaN gradient makes the param NaN, as the reference (it was hidden: param finite, moment NaN)", () => {
    const ref = one(() => m.lion({ lr: 0.01 }), "reference", Number.NaN, 1);
    const wasm = one(() => m.lion({ lr: 0.01 }), "wasm", Number.NaN, 1);
    expect(ref.w[0]).toBeNaN();
    expect(wasm.w[0]).toBeNaN();
    expect(wasm.w.slice(1)).toEqual(ref.w.slice(1));
  });
});
