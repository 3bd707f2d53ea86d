import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { afterAll, describe, expect, it } from "vitest";
import { rng } from "../helpers.ts";

const pool = await nodeThreadPool(2, { minPerThread: 8 });
afterAll(() => pool.close());

function train(make: () => m.GradientTransformation<unknown>, withPool: boolean) {
  const next = rng(5);
  const params = m.packTree({
    w: Float32Array.from({ length: 1001 }, () => next() - 0.5),
    b: new Float32Array(37),
  });
  const opt = m.createOptimizer(make(), params, { kernel: "wasm", pool: withPool ? pool : undefined });
  for (let t = 0; t < 20; t++) {
    m.leavesOf(opt.grads).forEach((g, i) => {
      const p = m.leavesOf(params)[i]!;
      for (let j = 0; j < g.length; j++) g[j] = p[j]! - 0.1 + 0.05 * (next() - 0.5);
    });
    opt.step(opt.grads);
  }
  return m.leavesOf(params).map((a) => Array.from(a));
}

describe("WASM kernels on a Node thread pool", () => {
  it.each([
    ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1, mask: (p: string) => p === "w" })],
    ["sgd nesterov", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true })],
    ["rmsprop centered", () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 })],
    ["adagrad", () => m.adagrad({ lr: 0.1 })],
  ])("%s: threads give exactly the single-thread result (slices are independent)", (_, make) => {
    expect(train(make, true)).toEqual(train(make, false));
  });
  it("clipping's reduction is split too; the sum's order changes only the last bits", () => {
    const make = () => m.chain(m.clipByGlobalNorm(0.1), m.adamw({ lr: 0.01 }));
    const a = train(make, true).flat();
    const b = train(make, false).flat();
    a.forEach((x, i) => {
      expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]!)));
    });
  });
  it("plain float32 arrays run on the pool too, bit for bit as packed ones", () => {
    const start = () => ({
      w: Float32Array.from({ length: 1001 }, (_, j) => Math.sin(j)),
      b: new Float32Array(37),
      big: Float32Array.from({ length: 600_001 }, (_, j) => Math.sin(j * 0.3)), // several staging blocks
    });
    const plain = start();
    const packed = m.packTree(start()) as typeof plain;
    const make = () => m.adamw({ lr: 0.01, weightDecay: 0.1 });
    const a = m.createOptimizer(make(), plain, { pool });
    const b = m.createOptimizer(make(), packed, { pool });
    expect([a.kernel, b.kernel]).toEqual(["wasm", "wasm"]);
    for (let t = 0; t < 5; t++) {
      const g = {
        w: Float32Array.from({ length: 1001 }, (_, j) => Math.cos(j * t)),
        b: new Float32Array(37).fill(t),
        big: Float32Array.from({ length: 600_001 }, (_, j) => Math.cos(j + t) * 0.1),
      };
      a.step(g);
      b.step(g);
    }
    expect(Array.from(plain.w)).toEqual(Array.from(packed.w));
    expect(Array.from(plain.b)).toEqual(Array.from(packed.b));
    expect(Buffer.from(plain.big.buffer).equals(Buffer.from(packed.big.slice().buffer))).toBe(true);
  });
  it("refuses what it cannot do", async () => {
    expect(() => m.createOptimizer(m.adamw(), { w: new Float64Array(4) }, { kernel: "wasm", pool })).toThrow(
      /float32 only/,
    );
    expect(() =>
      m.createOptimizer(m.adamw(), m.packTree({ w: new Float32Array(4) }), { kernel: "js", pool }),
    ).toThrow(/threads need the wasm kernels/);
    await expect(nodeThreadPool(0)).rejects.toThrow(/threads = 0 is outside/);
  });
});
