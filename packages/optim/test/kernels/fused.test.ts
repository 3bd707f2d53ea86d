/**
 * The fused kernels against the reference chains: JS bit-identical in both dtypes, WASM within a
 * stated float32 bound; on awkward sizes, packed and unpacked trees, masks, schedules and resume.
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { awkwardTree, maxRel, rng } from "../helpers.ts";
import { adamConfigs, cosine, type Make } from "./adam-configs.ts";

const CONFIGS: [string, Make][] = [
  // plain adam and the clipped one are covered below and by the clip tests
  ...adamConfigs().filter(([name]) => name !== "adam" && !name.startsWith("clip")),
  ["sgd", () => m.sgd({ lr: 0.05 })],
  ["sgd momentum dampening L2", () => m.sgd({ lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.01 })],
  [
    "sgd nesterov cycled momentum maximize",
    () => m.sgd({ lr: 0.02, momentum: (c) => 0.85 + 0.1 * Math.cos(c), nesterov: true, maximize: true }),
  ],
  [
    "sgdw masked",
    () => m.sgdw({ lr: 0.05, momentum: 0.9, weightDecay: 0.1, mask: (p) => p.startsWith("many") }),
  ],
  ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
  [
    "rmsprop centered momentum L2",
    () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01, alpha: 0.9 }),
  ],
  [
    "adagrad lrDecay L2",
    () => m.adagrad({ lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 }),
  ],
  ["clip → adamw", () => m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01 }))],
  [
    "lion decoupled, scheduled β1, maximize",
    () => m.lion({ lr: 0.01, weightDecay: 0.1, betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99], maximize: true }),
  ],
  ["clip → sgd momentum", () => m.chain(m.clipByGlobalNorm(1), m.sgd({ lr: 0.1, momentum: 0.9 }))],
  [
    "adamax L2 maximize, scheduled β1",
    () =>
      m.adamax({ lr: 0.01, weightDecay: 0.05, maximize: true, betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99] }),
  ],
  ["nadam", () => m.nadam({ lr: 0.01 })],
  ["adadelta", () => m.adadelta({ lr: 1 })],
  [
    "lamb (JS only: leaf by leaf)",
    () => m.lamb({ lr: 0.01, weightDecay: 0.1, mask: (p) => !p.includes("b") }),
  ],
  [
    "lamb maximize, no bias correction, after clipping",
    () => m.chain(m.clipByGlobalNorm(0.5), m.lamb({ lr: 0.01, maximize: true, biasCorrection: false })),
  ],
  [
    "adadelta L2 maximize, ρ 0.5",
    () => m.adadelta({ lr: 0.5, rho: 0.5, eps: 1e-4, weightDecay: 0.05, maximize: true }),
  ],
  [
    "nadam decoupled, masked",
    () =>
      m.nadam({
        lr: 0.01,
        weightDecay: 0.1,
        decoupledWeightDecay: true,
        momentumDecay: 0.01,
        mask: (p) => !p.includes("b"),
      }),
  ],
  ["radam (rectified from step 6)", () => m.radam({ lr: 0.01, weightDecay: 0.02 })],
  [
    "radam decoupled, β2 0.9",
    () => m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, betas: [0.8, 0.9] }),
  ],
  ["scheduleFreeAdamw", () => m.scheduleFreeAdamw({ lr: 0.01 })],
  [
    "scheduleFreeAdamw decay, warmup, scheduled lr and β1, r 1, masked, maximize",
    () =>
      m.scheduleFreeAdamw({
        lr: cosine,
        weightDecay: 0.1,
        warmupSteps: 5,
        r: 1,
        weightLrPower: 1,
        betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99],
        mask: (p) => !p.includes("b"),
        maximize: true,
      }),
  ],
  [
    "clip → scheduleFreeAdamw decay at z",
    () =>
      m.chain(m.clipByGlobalNorm(0.5), m.scheduleFreeAdamw({ lr: 0.02, weightDecay: 0.05, decayAtZ: true })),
  ],
];

function run(
  make: Make,
  dtype: m.Dtype,
  kernel: m.KernelName,
  packed: boolean,
  steps = 30,
  pool?: m.ThreadPool,
) {
  const params = packed ? m.packTree(awkwardTree(dtype, 1)) : awkwardTree(dtype, 1);
  const opt = m.createOptimizer(make(), params, { kernel, pool });
  const next = rng(2);
  for (let t = 0; t < steps; t++) {
    const g = m.leavesOf(opt.grads);
    const ps = m.leavesOf(params);
    g.forEach((leaf, i) => {
      for (let j = 0; j < leaf.length; j++)
        leaf[j] = ps[i]![j]! - 0.3 + 0.2 * (next() * 2 - 1) * (t === 7 ? 50 : 1);
    });
    opt.step(opt.grads);
  }
  return { params: m.leavesOf(params).map((a) => Array.from(a)), opt };
}

describe("fused JS kernels are bit-identical to the reference chains", () => {
  for (const [name, make] of CONFIGS) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype})`, () => {
        const ref = run(make, dtype, "reference", false);
        expect(ref.opt.kernel).toBe("reference");
        const js = run(make, dtype, "js", false);
        expect(js.opt.kernel).toBe("js");
        expect(js.params).toEqual(ref.params);
        const packed = run(make, dtype, "js", true);
        expect(packed.params).toEqual(ref.params);
        // same state layout and contents: the state dicts agree
        expect(js.opt.stateDict()).toEqual(ref.opt.stateDict());
      });
    }
  }
});

describe("odd offsets", () => {
  it("leaves that are views at odd offsets of one buffer (not an arena) run the JS kernel exactly", () => {
    const views = (dtype: m.Dtype) => {
      const buf = dtype === "float32" ? new Float32Array(64) : new Float64Array(64);
      const next = rng(4);
      for (let i = 0; i < buf.length; i++) buf[i] = next() - 0.5;
      return {
        a: buf.subarray(1, 4),
        b: buf.subarray(5, 14),
        c: { data: buf.subarray(17, 29), shape: [3, 4] },
      };
    };
    for (const dtype of ["float32", "float64"] as const) {
      const ref = views(dtype);
      const fast = views(dtype);
      const o1 = m.createOptimizer(m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 }), ref, {
        kernel: "reference",
      });
      const o2 = m.createOptimizer(m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 }), fast, {
        kernel: "js",
      });
      for (let t = 0; t < 10; t++) {
        const g = m.mapTree(ref, (d) => d.map((x) => x - 0.2 + 0.01 * t));
        o1.step(g);
        o2.step(g);
      }
      expect(m.leavesOf(fast).map((a) => Array.from(a))).toEqual(m.leavesOf(ref).map((a) => Array.from(a)));
    }
  });
});

/** LAMB's WASM kernel needs whole leaves in the arena: packed params only (plain ones run JS). */
const packedOnly = (name: string) => name.startsWith("lamb");

describe("WASM SIMD kernels agree with the reference to float32 rounding", () => {
  // Bound: after 30 steps (one with a 50× gradient), |Δ| ≤ 2e-5·max(1, |x|). Single steps agree to ~1 ulp.
  for (const [name, make] of CONFIGS) {
    it(name, () => {
      const ref = run(make, "float32", "reference", false);
      const wasm = run(make, "float32", "wasm", true);
      expect(wasm.opt.kernel).toBe("wasm");
      expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(2e-5);
      const one = maxRel(
        run(make, "float32", "wasm", true, 1).params,
        run(make, "float32", "reference", false, 1).params,
      );
      expect(one).toBeLessThanOrEqual(3e-7);
    });
  }
  it("auto picks WASM for float32 params and float64 ones where the kind has a float64 kernel (packed or plain), JS otherwise, and the reference for chains it does not know", () => {
    expect(m.createOptimizer(m.adamw(), m.packTree(awkwardTree("float32", 1))).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(), awkwardTree("float32", 1)).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(), awkwardTree("float64", 1)).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(), m.packTree(awkwardTree("float64", 1))).kernel).toBe("wasm");
    expect(m.createOptimizer(m.rmsprop(), awkwardTree("float64", 1)).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adafactor(), awkwardTree("float32", 1)).kernel).toBe("reference");
    expect(m.createOptimizer(m.lamb(), awkwardTree("float32", 1)).kernel).toBe("js");
    expect(m.createOptimizer(m.lamb(), m.packTree(awkwardTree("float32", 1))).kernel).toBe("wasm");
    expect(
      m.createOptimizer(
        m.nadam({ weightDecay: 0.1, decoupledWeightDecay: true, decayWith: "multiplier" }),
        awkwardTree("float32", 1),
      ).kernel,
    ).toBe("reference");
    expect(m.createOptimizer(m.adamw({ decayWith: "multiplier" }), awkwardTree("float32", 1)).kernel).toBe(
      "reference",
    );
  });
  it("a forced kernel that cannot run says why", () => {
    expect(() => m.createOptimizer(m.adafactor(), awkwardTree("float64", 1), { kernel: "wasm" })).toThrow(
      /not an optimizer alias/,
    );
    expect(() => m.createOptimizer(m.adafactor(), awkwardTree("float32", 1), { kernel: "js" })).toThrow(
      /not an optimizer alias/,
    );
    expect(() =>
      m.createOptimizer(
        m.chain(m.clipByGlobalNorm(1, { normType: 1 }), m.adamw()),
        m.packTree(awkwardTree("float32", 1)),
        { kernel: "wasm" },
      ),
    ).toThrow(/only 2-norm/);
    expect(() =>
      m.createOptimizer(m.adamw(), awkwardTree("float32", 1), { kernel: "fast" as never }),
    ).toThrow(/kernel must be/);
  });
});

describe("float64 WASM kernels (f64x2) agree with the reference to float64 rounding", () => {
  // Bound: after 30 steps, |Δ| ≤ 1e-12·max(1, |x|) (the kernels multiply by reciprocals and order a
  // few operations differently; the JS kernels are the bit-exact ones).
  for (const [name, make] of CONFIGS) {
    it(name, () => {
      const ref = run(make, "float64", "reference", false);
      for (const packed of packedOnly(name) ? [true] : [true, false]) {
        const wasm = run(make, "float64", "wasm", packed);
        expect(wasm.opt.kernel).toBe("wasm");
        expect(maxRel(wasm.params, ref.params)).toBeLessThanOrEqual(1e-12);
      }
    });
  }
});

describe("the fast paths keep state dicts, resume and errors", () => {
  it("a state saved from the wasm kernel resumes on the reference chain (and back)", () => {
    const make = () => m.adam({ lr: 0.01, amsgrad: true });
    const a = m.packTree(awkwardTree("float32", 3));
    const fast = m.createOptimizer(make(), a, { kernel: "wasm" });
    for (let t = 0; t < 5; t++) {
      for (const [i, g] of m.leavesOf(fast.grads).entries()) g.set(m.leavesOf(a)[i]!);
      fast.step(fast.grads);
    }
    const saved = JSON.parse(JSON.stringify(fast.stateDict()));
    const b = m.cloneTree(a);
    const slow = m.createOptimizer(make(), b, { kernel: "reference" });
    slow.loadStateDict(saved);
    expect(slow.stateDict()).toEqual(fast.stateDict());
    const again = m.createOptimizer(make(), m.packTree(b), { kernel: "wasm" });
    again.loadStateDict(saved);
    expect(again.stepCount).toBe(5);
  });
  it("opt.grads is a frozen structure (so step(opt.grads) needs no check) with writable arrays", () => {
    const opt = m.createOptimizer(m.adamw(), m.packTree(awkwardTree("float32", 1)));
    const g = opt.grads as { a: Float32Array };
    g.a[0] = 1;
    expect(g.a[0]).toBe(1);
    expect(() => {
      g.a = new Float32Array(1);
    }).toThrow(TypeError);
  });
  it("bad gradients change nothing on the fused path", () => {
    const params = m.packTree(awkwardTree("float32", 4));
    const opt = m.createOptimizer(m.adamw({ lr: (c) => (c < 1 ? 0.1 : -1) }), params);
    opt.step(opt.grads);
    const before = JSON.stringify(opt.stateDict());
    const p0 = m.leavesOf(params).map((x) => Array.from(x));
    expect(() => opt.step(opt.grads)).toThrow(/adamw: the schedule for lr gave -1 at count 1/);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
    expect(m.leavesOf(params).map((x) => Array.from(x))).toEqual(p0);
    expect(() => opt.step({ ...(opt.grads as object), a: new Float32Array(2) } as m.Tree)).toThrow(
      /at 'a': expected length 1, got 2/,
    );
  });
  it("state is exactly what the algorithm needs: Adam 8 bytes per float32 param, AMSGrad 12", () => {
    const bytes = (make: Make) => {
      const opt = m.createOptimizer(make(), m.packTree({ w: new Float32Array(1000) }));
      let total = 0;
      JSON.stringify(opt.state, (_, v) => {
        if (ArrayBuffer.isView(v)) total += (v as Float32Array).byteLength;
        return ArrayBuffer.isView(v) ? undefined : v;
      });
      return total / 1000;
    };
    expect(bytes(() => m.adamw())).toBe(8);
    expect(bytes(() => m.adam({ amsgrad: true }))).toBe(12);
    expect(bytes(() => m.sgd({ momentum: 0.9 }))).toBe(4);
    expect(bytes(() => m.sgd())).toBe(0);
  });
});
