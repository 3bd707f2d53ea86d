import * as m from "momenta-optim";
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  base64ToFloats,
  createOptimizer,
  floatsToBase64,
  nadam,
  type Optimizer,
  radam,
  rmsprop,
  type StateDict,
  sgd,
  sgdw,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot, trainWithResume } from "./helpers.ts";

const cosine = (count: number) => 0.05 * (0.5 + 0.5 * Math.cos((Math.PI * count) / 40));

/** Every optimizer, with the options that create every kind of state buffer. */
const OPTIMIZERS: [string, () => Optimizer][] = [
  ["sgd", () => sgd({ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 })],
  ["sgd nesterov, scheduled lr", () => sgd({ lr: cosine, momentum: 0.9, nesterov: true })],
  ["sgdw", () => sgdw({ lr: 0.05, momentum: 0.9, weightDecay: 0.1 })],
  ["adagrad", () => adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01 })],
  [
    "rmsprop centered momentum",
    () => rmsprop({ lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 }),
  ],
  ["adadelta", () => adadelta({ lr: 1, weightDecay: 0.01 })],
  ["adam amsgrad", () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
  ["adamw scheduled lr and wd", () => adamw({ lr: cosine, weightDecay: (c) => 0.1 / (1 + c) })],
  ["adamw cycled beta1", () => adamw({ lr: 0.01, betas: [(c) => 0.85 + 0.1 * Math.sin(c / 5), 0.999] })],
  ["adamax", () => adamax({ lr: 0.01, weightDecay: 0.01 })],
  ["nadam decoupled", () => nadam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true })],
  ["radam", () => radam({ lr: 0.01, weightDecay: 0.01 })],
];

describe("resume is bit-identical", () => {
  for (const [name, make] of OPTIMIZERS) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype})`, () => {
        const straight = trainWithResume(make, dtype, 60);
        expect(trainWithResume(make, dtype, 60, 23)).toEqual(straight);
        expect(trainWithResume(make, dtype, 60, 1)).toEqual(straight);
      });
    }
  }
  it("the state dict holds every buffer, exactly, and the step count", () => {
    const params = randomTree("float32", 1);
    const opt = createOptimizer(adam({ amsgrad: true }), params);
    opt.step(randomTree("float32", 2));
    const d = opt.stateDict();
    expect(d).toMatchObject({ format: "momenta.optimizer", version: 2, step: 1 });
    expect(d.paths).toEqual(["blocks.0", "blocks.1", "dense.bias", "dense.weight", "gain"]);
    const text = JSON.stringify(d);
    expect(text).toContain('"expAvg"');
    expect(text).toContain('"maxExpAvgSq"');
    expect(JSON.parse(text)).toEqual(d);
  });
});

describe("bad input changes nothing", () => {
  function trained() {
    const params = randomTree("float32", 1);
    const opt = createOptimizer(adam({ lr: 0.1, amsgrad: true }), params);
    const grads = quadraticGrads("float32", 2);
    for (let i = 0; i < 5; i++) opt.step(grads(params));
    return { params, opt, grads };
  }

  it("gradients whose tree, dtype or length differ from the params", () => {
    const { params, opt } = trained();
    const before = JSON.stringify(opt.stateDict());
    const p0 = snapshot(params);
    const wrong = (edit: (g: Record<string, unknown>) => void) => {
      const g = structuredClone(params) as Record<string, unknown>;
      edit(g);
      return g as Tree;
    };
    expect(() => opt.step(wrong((g) => delete g.gain))).toThrow(
      /gradients and params differ: at \(root\): keys differ \(missing 'gain'\)/,
    );
    expect(() => opt.step(wrong((g) => (g.gain = new Float64Array(2))))).toThrow(
      /at 'gain': expected float32, got float64/,
    );
    expect(() => opt.step(wrong((g) => ((g.blocks as unknown[])[1] = new Float32Array(3))))).toThrow(
      /at 'blocks\.1': expected length 1, got 3/,
    );
    expect(() => opt.step(null as never)).toThrow(/gradients and params differ/);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
    expect(snapshot(params)).toEqual(p0);
  });

  const corrupt: [string, (d: StateDict & Record<string, unknown>) => void, RegExp][] = [
    ["not a state dict", (d) => (d.format = "torch" as never), /not a momenta optimizer state dict/],
    ["future version", (d) => (d.version = 3 as never), /unsupported version 3/],
    ["negative step", (d) => (d.step = -1), /step must be a whole number from 0 to 2\^53 − 1, got -1/],
    ["huge step", (d) => (d.step = 1e300), /step must be a whole number from 0 to 2\^53 − 1, got 1e\+300/],
    [
      "hyperparams not an object",
      (d) => (d.hyperparams = [] as never),
      /hyperparams: expected an object, got an array/,
    ],
    [
      "hyperparam of another kind",
      (d) => (d.hyperparams!.lr = { x: 1 } as never),
      /hyperparams\.lr: expected a number, boolean or string/,
    ],
    ["version 1 with hyperparams", (d) => (d.version = 1), /unexpected key 'hyperparams'/],
    ["unknown top-level key", (d) => ((d as Record<string, unknown>).extra = 1), /unexpected key 'extra'/],
    [
      "other model",
      (d) => (d.paths[2] = "dense.b"),
      /leaf 2 is "dense\.b" in the state dict but "dense\.bias" here/,
    ],
    [
      "missing buffer",
      (d) => delete (stateOf(d) as Record<string, unknown>).maxExpAvgSq,
      /state\.0\.maxExpAvgSq|missing key 'maxExpAvgSq'/,
    ],
    [
      "wrong dtype",
      (d) => ((stateOf(d).expAvg as unknown[])[0] = { $f64: "AAAAAAAAAAA=" }),
      /state\.0\.expAvg\.0: expected a float32 array of length 7, got float64/,
    ],
    [
      "wrong length",
      (d) => ((stateOf(d).expAvg as unknown[])[0] = { $f32: "AAAAAA==" }),
      /expected a float32 array of length 7, got length 1/,
    ],
    [
      "negative second moment",
      (d) => {
        const leaves = stateOf(d).expAvgSq as { $f32: string }[];
        const v = base64ToFloats(leaves[4]!.$f32, "float32");
        v[0] = -1;
        leaves[4] = { $f32: floatsToBase64(v) };
      },
      /state\.0\.expAvgSq\.4: element 0 is -1, but this accumulates squares and is never negative/,
    ],
    ["corrupt base64", (d) => ((stateOf(d).expAvg as unknown[])[1] = { $f32: "!!!!" }), /invalid character/],
    [
      "bad count",
      (d) => (stateOf(d).count = 2.5),
      /state\.0\.count: a count must be a whole number from 0 to 2\^53 − 1, got 2\.5/,
    ],
    ["extra key", (d) => (stateOf(d).junk = 1), /unexpected key 'junk'/],
  ];
  function stateOf(d: StateDict): Record<string, unknown> {
    return (d.state as Record<string, unknown>[]).find((s) => s !== null && "expAvg" in s)!;
  }
  for (const [what, edit, re] of corrupt) {
    it(`corrupt state dict: ${what}`, () => {
      const { params, opt, grads } = trained();
      const good = opt.stateDict();
      const bad = structuredClone(good) as StateDict & Record<string, unknown>;
      edit(bad);
      const p0 = snapshot(params);
      expect(() => opt.loadStateDict(bad)).toThrow(re);
      expect(opt.stateDict()).toEqual(good);
      expect(opt.stepCount).toBe(5);
      expect(snapshot(params)).toEqual(p0);
      opt.step(grads(params)); // still usable
    });
  }
});

describe("non-finite gradients propagate, as in PyTorch", () => {
  it("a NaN gradient reaches the params and the moments", () => {
    const params = { w: Float64Array.from([1, 2]) };
    const opt = createOptimizer(adam({ lr: 0.1 }), params);
    opt.step({ w: Float64Array.from([Number.NaN, 1]) });
    expect(Number.isNaN(params.w[0]!)).toBe(true);
    expect(params.w[1]).toBeCloseTo(1.9, 8);
  });
});

describe("a leaf replaced after createOptimizer", () => {
  it.each([
    ["reference", false],
    ["js", false],
    ["wasm", false],
    ["wasm", true],
  ] as const)("%s (packed: %s): step throws naming the leaf, and changes nothing", (kernel, packed) => {
    const start = { w: Float32Array.from([1, 2, 3, 4]), inner: { b: Float32Array.from([5, 6]) } };
    const params = (packed ? m.packTree(start) : start) as typeof start;
    const opt = m.createOptimizer(m.adamw({ lr: 0.1 }), params, { kernel });
    const g = { w: new Float32Array(4).fill(1), inner: { b: new Float32Array(2).fill(1) } };
    opt.step(g);
    params.w.set([1, 2, 3, 4]); // in place: fine
    opt.step(g);
    const w = params.w;
    const stepped = Array.from(w);
    const b = Array.from(params.inner.b);
    params.inner.b = Float32Array.from([9, 9]);
    expect(() => opt.step(g)).toThrow(/leaf "inner\.b" of the params is not the array.*in place/);
    expect(() => opt.step(opt.grads)).toThrow(/"inner\.b"/);
    expect(Array.from(params.inner.b)).toEqual([9, 9]);
    expect(Array.from(w)).toEqual(stepped);
    params.inner.b = Float32Array.from(b);
    expect(() => opt.step(g)).toThrow(/"inner\.b"/); // equal values, another array
    (params as { w: Float32Array; inner: object }).inner = {};
    expect(() => opt.step(opt.grads)).toThrow();
  });
});
