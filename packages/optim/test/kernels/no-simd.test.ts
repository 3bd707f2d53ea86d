/**
 * A runtime without WebAssembly SIMD (the kernels' module does not compile): plain float32 params
 * fall back to the JS kernel, and a forced wasm kernel says why. A file of its own: the compiled
 * module is cached per module instance, and vitest gives each file fresh ones.
 */
import { afterAll, describe, expect, it } from "vitest";

const original = WebAssembly.Module;
(WebAssembly as { Module: unknown }).Module = function NoSimd() {
  throw new WebAssembly.CompileError("SIMD unsupported (simulated)");
};
afterAll(() => {
  (WebAssembly as { Module: unknown }).Module = original;
});
const m = await import("momenta-optim");

describe("without WebAssembly SIMD", () => {
  it("plain float32 params run the JS kernel, and step", () => {
    const params = { w: Float32Array.from([1, 2, 3, 4, 5]) };
    const opt = m.createOptimizer(m.adamw({ lr: 0.1 }), params);
    expect(opt.kernel).toBe("js");
    opt.step({ w: new Float32Array(5).fill(1) });
    expect(params.w[0]).toBeLessThan(1);
    expect(() => m.createOptimizer(m.adamw(), { w: new Float32Array(4) }, { kernel: "wasm" })).toThrow(
      /no WebAssembly SIMD/,
    );
  });
});
