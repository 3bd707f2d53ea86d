/**
 * Wrapped optimizers on the fused kernels: skipNonFinite, injectHyperparams, ema/polyak and
 * accumulateGradients, alone and nested, against the reference chain — JS bit for bit in both dtypes,
 * WASM (packed, staged plain arrays, a thread pool) to float32 rounding — with non-finite gradients,
 * hand-set hyperparameters, state dicts, and the all-or-nothing step.
 */
import fc from "fast-check";
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomArray, rng } from "../helpers.ts";

type Make = () => m.GradientTransformation<unknown>;
const warmupCosine = m.warmupCosineDecay({ peak: 0.02, warmupSteps: 5, decaySteps: 40, end: 0.001 });
const CONFIGS: [string, Make][] = [
  [
    "skipNonFinite(adamw)",
    () => m.skipNonFinite(m.adamw({ lr: 0.01, weightDecay: 0.1 }), { maxConsecutive: 3 }),
  ],
  [
    "skipNonFinite(clip → adamw)",
    () => m.skipNonFinite(m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01 })), { maxConsecutive: 3 }),
  ],
  ["ema(sgd momentum)", () => m.ema(m.sgd({ lr: 0.05, momentum: 0.9 }), { decay: 0.9 })],
  ["polyak(lion)", () => m.polyak(m.lion({ lr: 0.01, weightDecay: 0.1 }))],
  ["ema(polyak(adagrad)): two averages", () => m.ema(m.polyak(m.adagrad({ lr: 0.05 })), { decay: 0.7 })],
  [
    "injectHyperparams(adamw, warmup-cosine lr)",
    () => m.injectHyperparams(m.adamw, { lr: warmupCosine, weightDecay: 0.05, betas: [0.9, 0.99] }),
  ],
  ["accumulateGradients(rmsprop, 3)", () => m.accumulateGradients(m.rmsprop({ lr: 0.01, momentum: 0.5 }), 3)],
  [
    "accumulateGradients(skipNonFinite(clip → adam), 2)",
    () =>
      m.accumulateGradients(
        m.skipNonFinite(m.chain(m.clipByGlobalNorm(1), m.adam({ lr: 0.01, amsgrad: true })), {
          maxConsecutive: 5,
        }),
        2,
      ),
  ],
  [
    "the recipe: ema(skipNonFinite(clip → adamw warmup-cosine))",
    () =>
      m.ema(
        m.skipNonFinite(m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: warmupCosine, weightDecay: 0.05 })), {
          maxConsecutive: 5,
        }),
        { decay: 0.95 },
      ),
  ],
  [
    "skipNonFinite(ema(injectHyperparams(sgd nesterov)))",
    () =>
      m.skipNonFinite(
        m.ema(m.injectHyperparams(m.sgd, { lr: 0.05, momentum: 0.9, nesterov: true }), { decay: 0.8 }),
        { maxConsecutive: 4 },
      ),
  ],
];

function tree(dtype: m.Dtype, seed: number): m.Tree {
  const next = rng(seed);
  const arr = (n: number) => randomArray(dtype, n, next);
  return { a: arr(1), b: arr(7), w: { data: arr(15), shape: [3, 5] }, many: [arr(2), arr(5), arr(33)] };
}

/** Steps with gradients that are non-finite at steps 6 (NaN) and 11–12 (∞), and huge at step 8. */
function run(
  make: Make,
  dtype: m.Dtype,
  kernel: m.KernelName | "auto",
  packed: boolean,
  pool?: m.ThreadPool,
) {
  const params = packed ? m.packTree(tree(dtype, 1), { shared: pool !== undefined }) : tree(dtype, 1);
  const opt = m.createOptimizer(make(), params, { kernel, pool });
  const next = rng(2);
  for (let t = 0; t < 24; t++) {
    const g = m.mapTree(params, (p) => p.map((x) => x - 0.3 + 0.2 * (next() * 2 - 1) * (t === 8 ? 50 : 1)));
    const leaves = m.leavesOf(g);
    if (t === 6) leaves[1]![3] = Number.NaN;
    if (t === 11 || t === 12) leaves[3]![1] = Number.POSITIVE_INFINITY;
    if (t === 15 && opt.hyperparams && "lr" in opt.hyperparams) opt.hyperparams.lr = 0.003;
    opt.step(g);
  }
  return { params: m.leavesOf(params).map((a) => Array.from(a)), opt };
}

/** The largest relative difference; NaN against NaN (a diverged run, in both) counts as equal. */
function maxRel(a: number[][], b: number[][]) {
  let worst = 0;
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      const y = b[i]![j]!;
      if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return;
      worst = Math.max(worst, Number.isNaN(x - y) ? Infinity : Math.abs(x - y) / Math.max(1, Math.abs(y)));
    });
  });
  return worst;
}

/** Every float array of a state, flattened in order (to compare states to a tolerance). */
function floats(state: unknown): number[] {
  const out: number[] = [];
  JSON.stringify(state, (_, v) => {
    if (ArrayBuffer.isView(v)) out.push(...Array.from(v as Float32Array));
    return ArrayBuffer.isView(v) ? undefined : v;
  });
  return out;
}
/**
 * A state's non-array values (counts, skips, hyperparameters), which must agree exactly — but for the
 * clip's recorded norm (to 5 digits: the gradients depend on params that agree to float32 rounding).
 */
function scalarsOf(state: unknown): string {
  return JSON.stringify(state, (k, v) =>
    ArrayBuffer.isView(v) ? undefined : k === "totalNorm" ? Number(v).toPrecision(5) : v,
  );
}

describe("wrapped optimizers run fused", () => {
  for (const [name, make] of CONFIGS) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name}: JS bit-identical to the reference (${dtype})`, () => {
        const ref = run(make, dtype, "reference", false);
        const js = run(make, dtype, "js", false);
        expect(js.opt.kernel).toBe("js");
        expect(js.params).toEqual(ref.params);
        expect(run(make, dtype, "js", true).params).toEqual(ref.params);
        expect(js.opt.stateDict()).toEqual(ref.opt.stateDict());
      });
    }
    it(`${name}: WASM (packed and plain) to float32 rounding`, () => {
      const ref = run(make, "float32", "reference", false);
      for (const packed of [true, false]) {
        const wasm = run(make, "float32", "auto", packed);
        expect(wasm.opt.kernel).toBe("wasm");
        expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(2e-5);
        expect(scalarsOf(wasm.opt.state)).toBe(scalarsOf(ref.opt.state));
        const a = floats(wasm.opt.state);
        const b = floats(ref.opt.state);
        expect(maxRel([a], [b])).toBeLessThanOrEqual(2e-5);
      }
    });
  }
});

describe("on a thread pool", () => {
  let pool: m.ThreadPool;
  beforeAll(async () => {
    pool = await nodeThreadPool(2, { minPerThread: 4 });
  });
  afterAll(() => pool.close());
  it("lamb on packed params (leaf by leaf: moments, norms, then the update, each split over the threads)", () => {
    const make = () =>
      m.ema(m.lamb({ lr: 0.01, weightDecay: 0.1, mask: (path) => path !== "a" }), { decay: 0.9 });
    const ref = run(make, "float32", "reference", false);
    const wasm = run(make, "float32", "auto", true, pool);
    expect(wasm.opt.kernel).toBe("wasm");
    expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(2e-5);
    expect(scalarsOf(wasm.opt.state)).toBe(scalarsOf(ref.opt.state));
  });
  it("the recipe and accumulation agree with the reference", () => {
    for (const [, make] of [CONFIGS[7]!, CONFIGS[6]!]) {
      const ref = run(make, "float32", "reference", false);
      for (const packed of [true, false]) {
        const wasm = run(make, "float32", "auto", packed, pool);
        expect(wasm.opt.kernel).toBe("wasm");
        expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(2e-5);
        expect(scalarsOf(wasm.opt.state)).toBe(scalarsOf(ref.opt.state));
      }
    }
  });
});

describe("wrapped steps stay all-or-nothing", () => {
  it("skipNonFinite past maxConsecutive throws naming the leaf, and changes nothing", () => {
    for (const kernel of ["reference", "js", "auto"] as const) {
      const params = tree("float32", 3);
      const opt = m.createOptimizer(
        m.ema(m.skipNonFinite(m.adamw({ lr: 0.01 }), { maxConsecutive: 1 })),
        params,
        { kernel },
      );
      const g = m.mapTree(params, (p) => p.map(() => 0.1));
      opt.step(g);
      (m.leavesOf(g)[1]! as Float32Array)[4] = Number.NaN; // in b
      opt.step(g); // skipped (1 in a row)
      const before = JSON.stringify(opt.stateDict());
      const p0 = m.leavesOf(params).map((x) => Array.from(x));
      expect(() => opt.step(g), kernel).toThrow(
        /skipNonFinite: 2 non-finite gradients in a row \(maxConsecutive 1\); first at .b./,
      );
      expect(JSON.stringify(opt.stateDict())).toBe(before);
      expect(m.leavesOf(params).map((x) => Array.from(x))).toEqual(p0);
      expect(opt.stepCount).toBe(2);
    }
  });
  it("a schedule out of range inside injectHyperparams throws before anything is written", () => {
    for (const kernel of ["reference", "js", "auto"] as const) {
      const params = tree("float32", 3);
      const opt = m.createOptimizer(
        m.ema(m.injectHyperparams(m.adamw, { lr: (c: number) => (c < 2 ? 0.01 : -1) })),
        params,
        { kernel },
      );
      const g = m.mapTree(params, (p) => p.map(() => 0.1));
      opt.step(g);
      opt.step(g);
      const before = JSON.stringify(opt.stateDict());
      expect(() => opt.step(g)).toThrow(/lr/);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
    }
  });
  it("a static hyperparameter set by hand rebuilds the optimizer and the fused step follows it", () => {
    const make = () => m.injectHyperparams(m.adam, { lr: 0.01, eps: 1e-8 });
    const go = (kernel: m.KernelName) => {
      const params = tree("float64", 5);
      const opt = m.createOptimizer(make(), params, { kernel });
      for (let t = 0; t < 6; t++) {
        if (t === 3) opt.hyperparams!.eps = 0.5;
        opt.step(m.mapTree(params, (p) => p.map((x) => x * 0.5 + 0.01 * t)));
      }
      return m.leavesOf(params).map((a) => Array.from(a));
    };
    expect(go("js")).toEqual(go("reference"));
  });
});

describe("room in the params' arena", () => {
  it("a packed arena without room for the wrappers' buffers: auto runs the reference chain, a forced kernel says why", () => {
    // A non-shared packTree arena has room for a gradient and four state buffers (and a page);
    // AMSGrad's three and two averages are five.
    const make = () => m.ema(m.polyak(m.adam({ lr: 0.01, amsgrad: true })));
    const n = 100_000;
    const params = m.packTree({ w: new Float32Array(n).fill(0.5) }, { shared: false });
    const opt = m.createOptimizer(make(), params);
    expect(opt.kernel).toBe("reference");
    opt.step({ w: new Float32Array(n).fill(0.1) });
    const full = m.packTree({ w: new Float32Array(n) }, { shared: false });
    expect(() => m.createOptimizer(make(), full, { kernel: "wasm" })).toThrow(
      /the wasm kernel cannot run this: the params' arena has \d+ bytes free and this optimizer's state needs \d+/,
    );
    // With room, it runs fused.
    const arena = m.createArena({ shared: false, bytes: 8 * n * 4 + (1 << 16) });
    expect(m.createOptimizer(make(), m.packTree({ w: new Float32Array(n) }, { arena })).kernel).toBe("wasm");
  });
});

describe("random nestings (property)", () => {
  type Wrap = (tx: m.GradientTransformation<unknown>) => m.GradientTransformation<unknown>;
  const KINDS: [string, () => m.GradientTransformation<unknown>][] = [
    ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1 })],
    ["adam amsgrad", () => m.adam({ lr: 0.01, amsgrad: true })],
    ["sgd nesterov", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true })],
    ["rmsprop centered", () => m.rmsprop({ lr: 0.01, centered: true })],
    ["adagrad", () => m.adagrad({ lr: 0.05 })],
    ["lion", () => m.lion({ lr: 0.01, weightDecay: 0.1 })],
    ["adamax", () => m.adamax({ lr: 0.01 })],
    ["nadam", () => m.nadam({ lr: 0.01 })],
    ["radam", () => m.radam({ lr: 0.01, weightDecay: 0.01 })],
    ["adadelta", () => m.adadelta({ lr: 1 })],
    ["lamb", () => m.lamb({ lr: 0.01, weightDecay: 0.1 })],
    ["scheduleFreeAdamw", () => m.scheduleFreeAdamw({ lr: 0.01, weightDecay: 0.1, warmupSteps: 3 })],
  ];
  const WRAPS: [string, Wrap][] = [
    ["skip", (tx) => m.skipNonFinite(tx, { maxConsecutive: 50 })],
    ["ema", (tx) => m.ema(tx, { decay: 0.8 })],
    ["polyak", (tx) => m.polyak(tx)],
    ["accumulate 2", (tx) => m.accumulateGradients(tx, 2)],
    ["observe", (tx) => m.observe(tx, () => {}, { every: 3 })],
  ];
  it("any nesting of the fusing wrappers around any kind (± clip): JS bit for bit, WASM to float32 rounding", () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: KINDS.length - 1 }),
        fc.array(fc.integer({ min: 0, max: WRAPS.length - 1 }), { maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom<m.Dtype>("float32", "float64"),
        (k, wraps, clip, dtype) => {
          // one accumulateGradients at most (the kernels run one)
          const chosen = wraps.filter((w, i) => WRAPS[w]![0] !== "accumulate 2" || wraps.indexOf(w) === i);
          const make = () => {
            let tx: m.GradientTransformation<unknown> = KINDS[k]![1]();
            if (clip) tx = m.chain(m.clipByGlobalNorm(0.5), tx);
            for (const w of chosen) tx = WRAPS[w]![1](tx);
            return tx;
          };
          const ref = run(make, dtype, "reference", false);
          const js = run(make, dtype, "js", false);
          expect(js.opt.kernel).toBe("js");
          expect(js.params).toEqual(ref.params);
          // Every value equal (a NaN's sign and payload aside: an invalid operation makes x86's
          // default NaN, a propagated one keeps its own, and the two paths meet NaN differently).
          expect(floats(js.opt.state)).toEqual(floats(ref.opt.state));
          expect(scalarsOf(js.opt.state)).toBe(scalarsOf(ref.opt.state));
          if (dtype === "float32") {
            const wasm = run(make, dtype, "auto", true);
            expect(wasm.opt.kernel).toBe("wasm");
            expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(2e-5);
            expect(scalarsOf(wasm.opt.state)).toBe(scalarsOf(ref.opt.state));
          }
          runs += 1;
        },
      ),
      { numRuns: 60, seed: 15 },
    );
    expect(runs).toBe(60);
  });
});
