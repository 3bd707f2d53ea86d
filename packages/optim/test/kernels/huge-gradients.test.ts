/**
 * Huge finite gradients, up to float32's largest, on every fused kind: the WASM kernels keep finite
 * what the reference chain keeps finite. The reference computes in float64 and stores float32, so
 * c·u² stays finite up to |u| ≈ √(FLT_MAX / c) (5.8e20 for Adam's c = 1 − β2 = 0.001), where u·u
 * alone overflows from 1.8e19; the kernels take the reference's (c·u)·u. JS is bit for bit.
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { CONFIGS, compare, FLT_MAX, floats, HUGE, type Make, run } from "./special-values.ts";

describe("huge finite gradients: every kind as the reference chain", () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: js bit for bit`, () => {
      const ref = run(make, "reference", false, HUGE);
      for (const packed of [false, true]) {
        const js = run(make, "js", packed, HUGE);
        expect(js.params).toEqual(ref.params);
        expect(js.opt.stateDict()).toEqual(ref.opt.stateDict());
      }
    });
    it(`${name}: wasm, finite where the reference is, to float32 rounding`, () => {
      const ref = run(make, "reference", false, HUGE);
      const wasm = run(make, "wasm", true, HUGE);
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
  it.each([
    ["adamw", () => m.adamw({ lr: 0.01 })],
    ["adam amsgrad", () => m.adam({ lr: 0.01, amsgrad: true })],
    ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
    ["rmsprop centered", () => m.rmsprop({ lr: 0.01, centered: true })],
  ] as [string, Make][])(
    "wasm %s: one finite |g| from 2e19 to 1.5e20 leaves the second moment finite (it was ∞ for good)",
    (_, make) => {
      for (const g of [2e19, -1e20, 1.5e20]) {
        const ref = one(make, "reference", g);
        const wasm = one(make, "wasm", g);
        expect(ref.state.every(Number.isFinite)).toBe(true);
        expect(compare(wasm.state, ref.state, 1e-6)).toBeUndefined();
        expect(compare(wasm.w, ref.w, 1e-6)).toBeUndefined();
      }
    },
  );
  it("wasm adam: |g| = FLT_MAX gives v = ∞ and an unchanged param, as the reference (not NaN)", () => {
    const ref = one(() => m.adam({ lr: 0.01 }), "reference", FLT_MAX, 1);
    const wasm = one(() => m.adam({ lr: 0.01 }), "wasm", FLT_MAX, 1);
    expect(ref.w[0]).toBe(0.5);
    expect(compare(wasm.w, ref.w, 1e-6)).toBeUndefined();
    expect(compare(wasm.state, ref.state, 1e-6)).toBeUndefined();
  });
});
