/**
 * The fused kernels on bfloat16 moments (`stateDtype: "bfloat16"`, issue #19) against the reference
 * chain: the JS loops bit-identical in both dtypes, packed or not; the WASM kernel storing the
 * chain's bits for the same input (its moments are computed in float64 lanes) and its params within
 * float32 rounding; the same bits whatever the threads or the staging blocks, since each element's
 * rounding is keyed by its index in its leaf.
 */
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { describe, expect, it } from "vitest";
import { awkwardTree, maxRel, rng } from "../helpers.ts";
import { adamConfigs, cosine, type Make } from "./adam-configs.ts";

const bf16 = { stateDtype: "bfloat16", stateSeed: 11 } as const;

const CONFIGS: [string, Make][] = [
  ...adamConfigs(bf16),
  ["sgd nesterov", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, ...bf16 })],
  [
    "sgd momentum dampening L2",
    () => m.sgd({ lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.01, ...bf16 }),
  ],
  [
    "sgdw masked, maximize",
    () =>
      m.sgdw({
        lr: 0.05,
        momentum: 0.9,
        weightDecay: 0.1,
        maximize: true,
        mask: (p) => p.startsWith("many"),
        ...bf16,
      }),
  ],
  ["sgd without momentum (no state)", () => m.sgd({ lr: 0.05, ...bf16 })],
  [
    "lion decoupled, scheduled β1, maximize",
    () =>
      m.lion({
        lr: 0.01,
        weightDecay: 0.1,
        betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99],
        maximize: true,
        ...bf16,
      }),
  ],
  ["adagrad", () => m.adagrad({ lr: 0.1, ...bf16 })],
  [
    "adagrad lrDecay L2, initial accumulator",
    () => m.adagrad({ lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1, ...bf16 }),
  ],
  ["rmsprop", () => m.rmsprop({ lr: 0.003, ...bf16 })],
  [
    "rmsprop centered, momentum, L2, maximize",
    () => m.rmsprop({ lr: 0.003, centered: true, momentum: 0.9, weightDecay: 0.01, maximize: true, ...bf16 }),
  ],
  [
    "clip → rmsprop momentum, scheduled lr",
    () => m.chain(m.clipByGlobalNorm(0.5), m.rmsprop({ lr: cosine, momentum: 0.5, ...bf16 })),
  ],
  [
    "ema(adamw)",
    () => m.ema(m.adamw({ lr: 0.01, ...bf16 }), { decay: 0.9 }) as m.GradientTransformation<unknown>,
  ],
];

/** LAMB: its WASM kernels take packed params only (a leaf's direction waits in the gradient buffer). */
const PACKED_ONLY: [string, Make][] = [
  ["lamb", () => m.lamb({ lr: 0.01, ...bf16 })],
  [
    "lamb decayed, maximize, masked",
    () => m.lamb({ lr: 0.01, weightDecay: 0.1, maximize: true, mask: (p) => !p.includes("b"), ...bf16 }),
  ],
  ["clip → lamb", () => m.chain(m.clipByGlobalNorm(0.5), m.lamb({ lr: cosine, ...bf16 }))],
];

/** Leaves of awkward sizes, and one of several staging blocks. */
const tree = (dtype: m.Dtype, seed: number) => awkwardTree(dtype, seed, { many: 12, big: 40_003 });

/** Step t: gradients near the params with noise, 50× at step 7, written into the optimizer's buffer. */
function step(opt: m.OptimizerHandle<unknown>, params: m.Tree, next: () => number, t: number): void {
  const ps = m.leavesOf(params);
  m.leavesOf(opt.grads).forEach((leaf, i) => {
    for (let j = 0; j < leaf.length; j++)
      leaf[j] = ps[i]![j]! - 0.3 + 0.2 * (next() * 2 - 1) * (t === 7 ? 50 : 1);
  });
  opt.step(opt.grads);
}

interface Run {
  params: number[][];
  opt: m.OptimizerHandle<unknown>;
}

function run(
  make: Make,
  dtype: m.Dtype,
  kernel: m.KernelName,
  packed: boolean,
  steps = 20,
  pool?: m.ThreadPool,
): Run {
  const params = packed ? m.packTree(tree(dtype, 1)) : tree(dtype, 1);
  const opt = m.createOptimizer(make(), params, { kernel, pool });
  const next = rng(2);
  for (let t = 0; t < steps; t++) step(opt, params, next, t);
  return { params: m.leavesOf(params).map((a) => Array.from(a)), opt };
}

/** The moments as stored (their bits), leaf by leaf. */
function words(o: m.OptimizerHandle<unknown>): number[][] {
  const out: number[][] = [];
  const visit = (x: unknown): void => {
    if (x instanceof Uint16Array) out.push(Array.from(x));
    else if (Array.isArray(x)) x.forEach(visit);
    else if (x !== null && typeof x === "object" && !ArrayBuffer.isView(x)) Object.values(x).forEach(visit);
  };
  visit(o.state);
  return out;
}

/** The share of stored words that differ, and the largest difference in units of the last place. */
function wordDiff(a: number[][], b: number[][]) {
  let differ = 0;
  let all = 0;
  let ulps = 0;
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      all++;
      const y = b[i]![j]!;
      if (x === y) return;
      differ++;
      // same sign: the words' distance counts the bfloat16 values between them
      ulps = Math.max(ulps, (x ^ y) & 0x8000 ? Number.POSITIVE_INFINITY : Math.abs(x - y));
    });
  });
  return { share: all === 0 ? 0 : differ / all, ulps };
}

describe("bfloat16 moments: the JS kernel is bit-identical to the reference chain", () => {
  for (const [name, make] of [...CONFIGS, ...PACKED_ONLY])
    for (const dtype of ["float32", "float64"] as const)
      it(`${name} (${dtype})`, () => {
        const ref = run(make, dtype, "reference", false);
        expect(ref.opt.kernel).toBe("reference");
        const js = run(make, dtype, "js", false);
        expect(js.opt.kernel).toBe("js");
        expect(js.params).toEqual(ref.params);
        expect(words(js.opt)).toEqual(words(ref.opt));
        const packed = run(make, dtype, "js", true);
        expect(packed.params).toEqual(ref.params);
        expect(packed.opt.stateDict()).toEqual(ref.opt.stateDict());
      });
});

/**
 * The WASM kernel against the chain on `layouts` (packed params, plain ones staged). One step from
 * the same state and gradient: the moments' bits are the chain's (without a clip factor or L2 term,
 * whose float32 products may differ by an ulp), params ~1 ulp. 20 steps (one with a 50× gradient):
 * the params' float32 differences flip a rounding now and then, moving that moment by one bfloat16
 * place (2⁻⁸ relative) and the update by as much; the params stay within lr·steps·2⁻⁸ (measured:
 * 1.3e-4 at most, lr 0.01).
 */
function checkWasm(name: string, make: Make, layouts: readonly boolean[]): void {
  const ref1 = run(make, "float32", "reference", false, 1);
  for (const packed of layouts) {
    const one = run(make, "float32", "wasm", packed, 1);
    expect(one.opt.kernel).toBe("wasm");
    if (!/clip|L2/.test(name)) expect(words(one.opt)).toEqual(words(ref1.opt));
    else expect(wordDiff(words(one.opt), words(ref1.opt)).ulps).toBeLessThanOrEqual(1);
    expect(maxRel(one.params, ref1.params)).toBeLessThanOrEqual(3e-7);
  }
  const ref = run(make, "float32", "reference", false);
  const wasm = run(make, "float32", "wasm", true);
  expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(0.01 * 20 * 2 ** -8);
  const d = wordDiff(words(wasm.opt), words(ref.opt));
  expect(d.share).toBeLessThan(1e-3);
  expect(d.ulps).toBeLessThanOrEqual(2);
}

describe("bfloat16 moments: the WASM kernel", () => {
  for (const [name, make] of CONFIGS)
    it(`${name}: the chain's bits for the same input, params within float32 rounding`, () => {
      checkWasm(name, make, [true, false]);
    });

  for (const [name, make] of PACKED_ONLY)
    it(`${name} (packed params): the chain's moments for the same input, params within float32 rounding`, () => {
      checkWasm(name, make, [true]);
    });

  it("staged plain params, packed params and a thread pool store the same bits", async () => {
    const make = CONFIGS[2]![1];
    const packed = run(make, "float32", "wasm", true);
    const staged = run(make, "float32", "wasm", false);
    expect(staged.params).toEqual(packed.params);
    expect(words(staged.opt)).toEqual(words(packed.opt));
    const pool = await nodeThreadPool(2, { minPerThread: 64 });
    try {
      for (const p of [true, false]) {
        const threaded = run(make, "float32", "wasm", p, 20, pool);
        expect(threaded.params).toEqual(packed.params);
        expect(words(threaded.opt)).toEqual(words(packed.opt));
      }
    } finally {
      await pool.close();
    }
  });

  it("resumes bit-exactly: saved after 6 steps, loaded into a new optimizer, 6 more = 12 straight", () => {
    const make = CONFIGS[2]![1];
    for (const kernel of ["wasm", "js"] as const) {
      const straight = run(make, "float32", kernel, false, 12);
      const params = tree("float32", 1);
      const next = rng(2);
      let opt = m.createOptimizer(make(), params, { kernel });
      for (let t = 0; t < 12; t++) {
        if (t === 6) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = m.createOptimizer(make(), params, { kernel });
          opt.loadStateDict(saved);
        }
        step(opt, params, next, t);
      }
      expect(m.leavesOf(params).map((a) => Array.from(a))).toEqual(straight.params);
      expect(words(opt)).toEqual(words(straight.opt));
    }
  });
});

describe("which kernel runs compact state", () => {
  const params = (dtype: m.Dtype = "float32") => tree(dtype, 3);
  it("auto: WASM for bfloat16 on float32 params, JS on float64", () => {
    expect(m.createOptimizer(m.adamw(bf16), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(bf16), m.packTree(params())).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(bf16), params("float64")).kernel).toBe("js");
    expect(m.createOptimizer(m.adamw({ stateDtype: "float32" }), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw({ stateDtype: "float32" }), params("float64")).kernel).toBe("reference");
    expect(m.createOptimizer(m.sgd({ momentum: 0.9, ...bf16 }), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.rmsprop(bf16), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.lamb(bf16), params()).kernel).toBe("js");
    expect(m.createOptimizer(m.lamb(bf16), m.packTree(params())).kernel).toBe("wasm");
  });
  it("a forced kernel that cannot run says why", () => {
    expect(() => m.createOptimizer(m.lamb(bf16), params(), { kernel: "wasm" })).toThrow(
      /packed into one arena/,
    );
    expect(() => m.createOptimizer(m.adamw(bf16), params("float64"), { kernel: "wasm" })).toThrow(
      /bfloat16 moments for float32 params only/,
    );
    expect(() =>
      m.createOptimizer(m.adam({ stateDtype: "float32" }), params("float64"), { kernel: "js" }),
    ).toThrow(/keeps its moments as float32 \(stateDtype\) for float64 params/);
  });
});
