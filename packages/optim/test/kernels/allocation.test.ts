/** The hot path keeps nothing: heap in use after 10,000 steps (with collections forced) stays flat. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;

function growth(kernel: m.KernelName, make: () => m.GradientTransformation<unknown>) {
  const params = m.packTree({ w: new Float32Array(4096).fill(0.5), b: new Float32Array(33) });
  const opt = m.createOptimizer(make(), params, { kernel });
  for (const g of m.leavesOf(opt.grads)) g.fill(0.01);
  for (let i = 0; i < 2000; i++) opt.step(opt.grads); // warm up: compile, reach steady state
  // Two windows, the smaller growth: a leak grows in both; a one-off (a late recompilation under a
  // loaded machine's other work) in one.
  const window = () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) opt.step(opt.grads);
    gc();
    return process.memoryUsage().heapUsed - before;
  };
  return Math.min(window(), window());
}

describe("no growth on the hot path", () => {
  it.each([
    ["wasm", "adamw", () => m.adamw({ lr: 1e-3, weightDecay: 0.01 })],
    ["wasm", "clip → adam amsgrad", () => m.chain(m.clipByGlobalNorm(1), m.adam({ amsgrad: true }))],
    ["js", "adamw", () => m.adamw()],
    ["js", "sgd momentum", () => m.sgd({ lr: 0.01, momentum: 0.9 })],
    [
      "js",
      "clip → adam amsgrad maximize",
      () => m.chain(m.clipByGlobalNorm(1), m.adam({ amsgrad: true, maximize: true })),
    ],
    ["js", "rmsprop centered momentum", () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 })],
    ["js", "adagrad", () => m.adagrad({ lr: 0.01 })],
    ["js", "lion", () => m.lion({ lr: 1e-4, weightDecay: 0.1 })],
  ] as const)("%s %s: < 64 KiB retained over 10k steps", (kernel, _, make) => {
    expect(growth(kernel, make)).toBeLessThan(64 * 1024);
  });
});
