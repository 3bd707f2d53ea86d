/**
 * Trees the fast paths used to get wrong: float32 and float64 leaves mixed in one tree (each leaf
 * must train, and keep its state, in its own dtype, on every path alike), and leaves that share
 * memory (refused, naming both paths).
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { rng } from "../helpers.ts";

type Make = () => m.GradientTransformation<unknown>;

function mixed(seed: number) {
  const next = rng(seed);
  const f32 = (n: number) => Float32Array.from({ length: n }, () => next() * 2 - 1);
  const f64 = (n: number) => Float64Array.from({ length: n }, () => next() * 2 - 1);
  return { b: f64(5), w: f32(9), deep: [f32(3), f64(7), { data: f64(6), shape: [2, 3] }] };
}

function train(make: Make, kernel: m.KernelName | "auto", packed = false) {
  const params = packed ? m.packTree(mixed(1)) : mixed(1);
  const opt = m.createOptimizer(make(), params, { kernel });
  const next = rng(2);
  for (let t = 0; t < 25; t++) {
    const g = m.mapTree(params, (d) => d.map((x) => x - 0.3 + 0.1 * (next() * 2 - 1)));
    opt.step(g);
  }
  return { params, opt };
}

const dtypes = (t: m.Tree) => m.leavesOf(t).map(m.dtypeOf);
const values = (t: m.Tree) => m.leavesOf(t).map((a) => Array.from(a));

describe("a tree mixing float32 and float64 leaves", () => {
  it("the issue's case: injectHyperparams(sgd) steps on the reference chain (it blamed the gradients)", () => {
    const make = () => m.injectHyperparams(m.sgd, { lr: 0.1, momentum: 0.9 });
    const both = { w: new Float32Array([1, 2]), b: new Float64Array([0.5]) };
    const alone: [{ w: Float32Array }, { b: Float64Array }] = [
      { w: new Float32Array([1, 2]) },
      { b: new Float64Array([0.5]) },
    ];
    const opt = m.createOptimizer(make(), both);
    const opts = alone.map((p) => m.createOptimizer(make(), p));
    for (let t = 0; t < 3; t++) {
      const g = { w: new Float32Array([1, 0.1 * t]), b: new Float64Array([1 / 3]) };
      opt.step(g);
      opts[0]!.step({ w: g.w });
      opts[1]!.step({ b: g.b });
    }
    // each leaf exactly as when trained alone, in its own dtype
    expect(both.w).toEqual(alone[0]!.w);
    expect(both.b).toEqual(alone[1]!.b);
    expect(dtypes(opt.grads)).toEqual(["float64", "float32"]);
  });

  it.each([
    ["sgd momentum", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true })],
    [
      "adamw amsgrad masked",
      () => m.adamw({ lr: 0.01, amsgrad: true, weightDecay: 0.1, mask: (p) => p !== "b" }),
    ],
    [
      "clip → rmsprop centered momentum",
      () => m.chain(m.clipByGlobalNorm(0.5), m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 })),
    ],
    ["adagrad", () => m.adagrad({ lr: 0.1 })],
    ["lion", () => m.lion({ lr: 0.01, weightDecay: 0.1 })],
  ] as [string, Make][])(
    "%s: reference, js, js on a packed tree and auto agree bit for bit, each leaf in its own dtype",
    (_, make) => {
      const ref = train(make, "reference");
      expect(ref.opt.kernel).toBe("reference");
      const want = values(ref.params);
      const saved = ref.opt.stateDict();
      for (const [kernel, packed] of [
        ["js", false],
        ["js", true],
        ["auto", true],
      ] as const) {
        const run = train(make, kernel, packed);
        expect(run.opt.kernel).toBe("js");
        expect(dtypes(run.params)).toEqual(dtypes(ref.params));
        expect(values(run.params)).toEqual(want);
        // the state keeps each leaf's dtype: the state dicts are the same bytes
        expect(run.opt.stateDict()).toEqual(saved);
      }
      // and the float64 leaves did train in float64 (a float32 pass would round them)
      const b = (ref.params as { b: Float64Array }).b;
      expect(Array.from(b).some((x) => x !== Math.fround(x))).toBe(true);
    },
  );

  it("the wasm kernels refuse it (one dtype for all params), with the reason", () => {
    expect(() => m.createOptimizer(m.adamw(), m.packTree(mixed(1)), { kernel: "wasm" })).toThrow(
      /wasm kernel cannot run this: the wasm kernels need one dtype for all params \(float32 or float64\)/,
    );
  });
});

describe("leaves sharing memory are refused", () => {
  it("the same array twice, named by both paths", () => {
    const x = new Float32Array(4);
    expect(() => m.createOptimizer(m.sgd(), { a: x, b: { c: x } })).toThrow(
      /createOptimizer: params 'a' and 'b.c' are the same array; every leaf must have its own memory/,
    );
    const e = new Float64Array(0);
    expect(() => m.createOptimizer(m.adamw(), [e, new Float64Array(2), e])).toThrow(
      /params '0' and '2' are the same array/,
    );
    expect(() => m.createOptimizer(m.adamw(), { data: x, shape: [4] } as m.Tree)).not.toThrow();
    expect(() =>
      m.createOptimizer(m.adamw(), { a: { data: x, shape: [2, 2] }, b: x }, { kernel: "reference" }),
    ).toThrow(/params 'a' and 'b' are the same array/);
  });

  it("overlapping views of one buffer, but not neighbouring ones", () => {
    const buf = new Float32Array(16);
    expect(() =>
      m.createOptimizer(m.sgd(), { a: buf.subarray(0, 4), b: buf.subarray(8, 12), c: buf.subarray(3, 6) }),
    ).toThrow(/params 'a' and 'c' share memory \(overlapping views of one buffer\)/);
    const far = new Float32Array(new ArrayBuffer(64), 4, 3);
    const same = new Float64Array(far.buffer, 8, 2); // bytes 8–24 overlap far's 4–16
    expect(() => m.createOptimizer(m.sgd(), { far, same })).toThrow(/params 'far' and 'same' share memory/);
    // touching, empty and packed leaves are fine
    const ok = { a: buf.subarray(0, 4), b: buf.subarray(4, 8), e: buf.subarray(4, 4), f: buf.subarray(4, 4) };
    expect(() => m.createOptimizer(m.sgd(), ok)).not.toThrow();
    expect(() =>
      m.createOptimizer(m.adamw(), m.packTree({ a: new Float32Array(3), b: new Float32Array(5) })),
    ).not.toThrow();
  });
});
