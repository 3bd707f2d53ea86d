import {
  adamw,
  chain,
  clipByGlobalNorm,
  createOptimizer,
  injectHyperparams,
  leavesOf,
  type OptimizerStats,
  observe,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  skipNonFinite,
  type Tree,
  warmupCosineDecay,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

const norm = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));

/** A 3-vector and a 2×2 matrix; the gradient has norm √34 (5 and 3 by leaf). */
const small = () => ({
  a: new Float64Array([1, -2, 3]),
  b: { data: new Float64Array([0.5, 0.25, -1, 2]), shape: [2, 2] },
});
const smallGrad = (k = 1) => ({
  a: new Float64Array([3, 0, -4].map((x) => k * x)),
  b: { data: new Float64Array([1, 2, 2, 0].map((x) => k * x)), shape: [2, 2] },
});

describe("observe: every statistic, by hand", () => {
  it("one step of clip → adamw (masked decay) on a small tree", () => {
    const params = small();
    const p0 = [...params.a, ...params.b.data];
    const reports: OptimizerStats[] = [];
    const lr = 0.1;
    const wd = 0.5;
    const tx = chain(
      clipByGlobalNorm(1),
      adamw({ lr, weightDecay: wd, betas: [0.9, 0.99], mask: (path) => path === "b" }),
    );
    const opt = createOptimizer(
      observe(tx, (s) => reports.push(s), { every: 1 }),
      params,
    );
    opt.step(smallGrad());
    expect(reports).toHaveLength(1);
    const s = reports[0]!;

    // Hand computation. Clip: scale = 1/(√34 + 1e-6). Adam at t = 1: m̂ = g_c, √v̂ = |g_c|.
    const g = [3, 0, -4, 1, 2, 2, 0];
    const scale = 1 / (Math.sqrt(34) + 1e-6);
    const gc = g.map((x) => x * scale);
    const x = gc.map((y) => y / (Math.abs(y) + 1e-8));
    const decayed = [0, 0, 0, 1, 1, 1, 1];
    const u = x.map((xi, i) => -lr * (xi + wd * decayed[i]! * p0[i]!));
    expect(s.step).toBe(1);
    expect(s.gradNorm).toBeCloseTo(Math.sqrt(34), 13);
    expect(s.updateNorm).toBeCloseTo(norm(u), 13);
    expect(s.paramNorm).toBeCloseTo(norm(p0), 13);
    expect(s.updateToParam).toBeCloseTo(norm(u) / norm(p0), 13);
    expect(s.nonFinite).toEqual({ grads: 0, updates: 0, params: 0 });
    expect(s.clip).toEqual({
      maxNorm: 1,
      totalNorm: s.clip!.totalNorm,
      scale: s.clip!.scale,
      clipped: true,
      clippedSteps: 1,
      clippedFraction: 1,
    });
    expect(s.clip!.totalNorm).toBeCloseTo(Math.sqrt(34), 14);
    expect(s.clip!.scale).toBeCloseTo(scale, 15);
    // decoupled decay on b only: pull lr·λ·‖p_b‖, the rest of the step lr·‖x‖
    const pull = lr * wd * norm(p0.slice(3));
    expect(s.decay!.weightDecay).toBe(wd);
    expect(s.decay!.pullNorm).toBeCloseTo(pull, 13);
    expect(s.decay!.stepNorm).toBeCloseTo(lr * norm(x), 13);
    expect(s.decay!.ratio).toBeCloseTo(pull / (lr * norm(x)), 12);
    // effective lr lr/(√v̂ + ε) = lr/(|g_c| + ε): 7 values, percentiles at ranks 0.6, 3 and 5.4
    const eff = gc.map((y) => lr / (Math.abs(y) + 1e-8)).sort((p, q) => p - q);
    const e = s.effectiveLr!;
    expect(e.coordinates).toBe(7);
    expect(e.sampled).toBeNull();
    expect(e.min).toBeCloseTo(eff[0]!, 10);
    expect(e.max / eff[6]!).toBeCloseTo(1, 12); // lr/ε = 1e7 for the zero gradients
    expect(e.p10).toBeCloseTo(eff[0]! + 0.6 * (eff[1]! - eff[0]!), 10);
    expect(e.p50).toBeCloseTo(eff[3]!, 10);
    expect(e.p90 / (eff[5]! + 0.4 * (eff[6]! - eff[5]!))).toBeCloseTo(1, 12);
    expect(s.hyperparams).toEqual({ lr, weightDecay: wd, "betas[0]": 0.9, "betas[1]": 0.99, eps: 1e-8 });
    expect(s.vScar).toBeNull();
    expect(Object.keys(s.unavailable)).toEqual(["vScar"]);

    // per leaf
    const [la, lb] = s.leaves!;
    expect(la!.path).toBe("a");
    expect(lb!.path).toBe("b");
    expect(la!.size).toBe(3);
    expect(la!.gradNorm).toBeCloseTo(5, 13);
    expect(lb!.gradNorm).toBeCloseTo(3, 13);
    expect(la!.updateNorm).toBeCloseTo(norm(u.slice(0, 3)), 13);
    expect(lb!.updateNorm).toBeCloseTo(norm(u.slice(3)), 13);
    expect(la!.paramNorm).toBeCloseTo(norm(p0.slice(0, 3)), 13);
    expect(lb!.updateToParam).toBeCloseTo(norm(u.slice(3)) / norm(p0.slice(3)), 13);
    expect(la!.effectiveLr!.min).toBeCloseTo(lr / (4 * scale + 1e-8), 10);
    expect(la!.effectiveLr!.max / (lr / 1e-8)).toBeCloseTo(1, 12);
    expect(lb!.effectiveLr!.min).toBeCloseTo(lr / (2 * scale + 1e-8), 10);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain data
  });

  it("the running clip fraction, and a second step's bias-corrected effective lr", () => {
    const params = small();
    const reports: OptimizerStats[] = [];
    const lr = 0.01;
    const opt = createOptimizer(
      observe(chain(clipByGlobalNorm(10), adamw({ lr, weightDecay: 0 })), (s) => reports.push(s), {
        every: 1,
      }),
      params,
    );
    opt.step(smallGrad(1)); // ‖g‖ = √34 ≈ 5.8: not clipped
    opt.step(smallGrad(4)); // 23: clipped
    opt.step(smallGrad(1));
    opt.step(smallGrad(1));
    expect(reports.map((r) => r.clip!.clipped)).toEqual([false, true, false, false]);
    const scales = reports.map((r) => r.clip!.scale);
    expect(scales).toEqual([1, scales[1], 1, 1]);
    expect(scales[1]).toBeCloseTo(10 / (4 * Math.sqrt(34) + 1e-6), 15);
    expect(reports.map((r) => r.clip!.clippedFraction)).toEqual([0, 1 / 2, 1 / 3, 1 / 4]);
    // weightDecay 0: no decoupled decay to compare
    expect(reports[0]!.decay).toBeNull();
    expect(reports[0]!.unavailable.decay).toMatch(/adamw has no decoupled weight decay/);
    // v after two steps for a = 3: (1−β2)·(β2·9 + c²·144) with c the clip scale; t = 2
    const c = 10 / (4 * Math.sqrt(34) + 1e-6);
    const b2 = 0.999;
    const v = (1 - b2) * (b2 * 9 + c * c * 144);
    const vHat = v / (1 - b2 ** 2);
    const leafA = reports[1]!.leaves![0]!;
    // the largest |g| (−4 → −16·c) gives the smallest effective lr in leaf a
    const vMax = (1 - b2) * (b2 * 16 + c * c * 256);
    expect(leafA.effectiveLr!.min).toBeCloseTo(lr / (Math.sqrt(vMax / (1 - b2 ** 2)) + 1e-8), 12);
    expect(lr / (Math.sqrt(vHat) + 1e-8)).toBeGreaterThan(leafA.effectiveLr!.min);
  });

  it("counts clipped steps between reports too, and reads an alias's schedules at its own count", () => {
    const lr = (count: number) => 0.1 / (1 + count);
    const seen: OptimizerStats[] = [];
    const opt = createOptimizer(
      observe(chain(clipByGlobalNorm(10), adamw({ lr, weightDecay: 0.5 })), (s) => seen.push(s), {
        every: 4,
      }),
      small(),
    );
    for (const k of [1, 4, 1, 1, 1, 4, 4, 1]) opt.step(smallGrad(k));
    expect(seen.map((s) => [s.step, s.clip!.clippedSteps, s.clip!.clippedFraction])).toEqual([
      [4, 1, 0.25],
      [8, 3, 0.375],
    ]);
    expect(seen.map((s) => s.hyperparams!.lr)).toEqual([lr(3), lr(7)]);
    expect(seen[1]!.decay!.pullNorm).toBeGreaterThan(0);
  });

  it("counts non-finite values per leaf, and says why what it cannot see is null", () => {
    const params = small();
    const reports: OptimizerStats[] = [];
    // observe outside skipNonFinite: it sees the bad gradient, but not the alias inside the wrapper
    const opt = createOptimizer(
      observe(skipNonFinite(adamw({ lr: 0.1 })), (s) => reports.push(s), { every: 1, vScar: true }),
      params,
    );
    const g = smallGrad();
    g.a[1] = Number.NaN;
    g.b.data[2] = Number.POSITIVE_INFINITY;
    opt.step(g);
    const s = reports[0]!;
    expect(s.nonFinite).toEqual({ grads: 2, updates: 0, params: 0 });
    expect(s.leaves!.map((l) => l.nonFiniteGrads)).toEqual([1, 1]);
    expect(s.gradNorm).toBeCloseTo(Math.sqrt(9 + 16 + 1 + 4), 13); // the finite entries
    expect(s.updateNorm).toBe(0); // skipped
    expect(s.hyperparams).toBeNull();
    expect(s.effectiveLr).toBeNull();
    expect(s.clip).toBeNull();
    expect(Object.keys(s.unavailable).sort()).toEqual([
      "clip",
      "decay",
      "effectiveLr",
      "hyperparams",
      "vScar",
    ]);
    expect(s.unavailable.effectiveLr).toMatch(/has not been updated yet/); // the step was skipped
    opt.step(smallGrad());
    expect(reports[1]!.unavailable.effectiveLr).toMatch(
      /lr, betas\[1\], eps unknown: no optimizer alias found/,
    );
    // a NaN that reaches the updates and params (no skipping) is counted there too
    const raw: OptimizerStats[] = [];
    const p2 = small();
    const o2 = createOptimizer(
      observe(adamw({ lr: 0.1 }), (r) => raw.push(r), { every: 1 }),
      p2,
    );
    o2.step(g);
    o2.step(smallGrad());
    expect(raw[0]!.nonFinite).toEqual({ grads: 2, updates: 2, params: 0 });
    expect(raw[1]!.nonFinite).toEqual({ grads: 0, updates: 2, params: 2 });
    expect(raw[1]!.leaves!.map((l) => l.nonFiniteUpdates)).toEqual([1, 1]);
  });

  it("without params, the param-based statistics are null with a reason", () => {
    const reports: OptimizerStats[] = [];
    const tx = observe(chain(scaleByAdam(), scaleByLearningRate(0.1)), (s) => reports.push(s), {
      every: 1,
      hyperparams: { lr: 0.1, "betas[1]": 0.999, eps: 1e-8 },
    });
    const state = tx.init(small());
    tx.update(smallGrad(), state);
    const s = reports[0]!;
    expect(s.paramNorm).toBeNull();
    expect(s.updateToParam).toBeNull();
    expect(s.nonFinite.params).toBeNull();
    expect(s.unavailable.paramNorm).toBe("update was called without params");
    // a hand-built chain: the Adam state is found by its keys, lr/β2/ε come from the option
    expect(s.hyperparams).toEqual({ lr: 0.1, "betas[1]": 0.999, eps: 1e-8 });
    expect(s.effectiveLr!.min).toBeCloseTo(0.1 / (4 + 1e-8), 12);
    const without: OptimizerStats[] = [];
    const tx2 = observe(chain(scaleByAdam(), scaleByLearningRate(0.1)), (r) => without.push(r), { every: 1 });
    tx2.update(smallGrad(), tx2.init(small()));
    expect(without[0]!.effectiveLr).toBeNull();
    expect(without[0]!.unavailable.effectiveLr).toMatch(
      /lr, betas\[1\], eps unknown: no optimizer alias found/,
    );
  });

  it("reads injectHyperparams' live values (the ones each update used), through other wrappers", () => {
    const lr = warmupCosineDecay({ init: 0, peak: 0.05, warmupSteps: 5, decaySteps: 40 });
    const params = randomTree("float64", 3);
    const seen: OptimizerStats[] = [];
    const opt = createOptimizer(
      skipNonFinite(
        observe(
          injectHyperparams(adamw, { lr, weightDecay: 0.1, betas: [0.9, 0.999], eps: 1e-8 }),
          (s) => seen.push(s),
          {
            every: 3,
          },
        ),
      ),
      params,
    );
    const grads = quadraticGrads("float64", 3);
    for (let t = 0; t < 12; t++) opt.step(grads(params));
    expect(seen.map((s) => s.step)).toEqual([3, 6, 9, 12]);
    expect(seen.map((s) => s.hyperparams!.lr)).toEqual([lr(2), lr(5), lr(8), lr(11)]);
    expect(seen[0]!.hyperparams!.weightDecay).toBe(0.1);
    expect(seen[0]!.effectiveLr).not.toBeNull();
    expect(seen[0]!.decay).toBeNull(); // decoupled or L2 cannot be told from the view
    expect(opt.hyperparams!.lr).toBe(lr(12)); // forwarded through observe
    opt.hyperparams!.lr = 0.002;
    opt.step(grads(params));
    opt.step(grads(params));
    opt.step(grads(params));
    expect(seen[4]!.hyperparams!.lr).toBe(0.002);
  });

  it("sgd: no effective lr (not Adam), its own hyperparameters", () => {
    const seen: OptimizerStats[] = [];
    const params = small();
    const opt = createOptimizer(
      observe(sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 }), (s) => seen.push(s), { every: 1 }),
      params,
    );
    opt.step(smallGrad());
    expect(seen[0]!.hyperparams).toEqual({ lr: 0.1, weightDecay: 0.01, momentum: 0.9, dampening: 0 });
    expect(seen[0]!.effectiveLr).toBeNull();
    expect(seen[0]!.unavailable.effectiveLr).toMatch(/no Adam-family state/);
    expect(seen[0]!.unavailable.decay).toMatch(/sgd has no decoupled weight decay/);
    // plain SGD: the update is −lr·(g + λp) (momentum buffer starts at g)
    const u = [3, 0, -4, 1, 2, 2, 0].map((g, i) => -0.1 * (g + 0.01 * [1, -2, 3, 0.5, 0.25, -1, 2][i]!));
    expect(seen[0]!.updateNorm).toBeCloseTo(norm(u), 14);
  });
});

describe("observe: changes nothing, costs nothing between reports", () => {
  it("the trajectory and the wrapped state are bit-identical with and without it", () => {
    // The fused JS kernel is bit-identical to the reference chain (auto would pick WASM for these
    // float32 arrays, which matches it to float32 rounding only).
    for (const kernel of ["reference", "js"] as const) {
      const a = randomTree("float32", 4);
      const b = randomTree("float32", 4);
      const make = () =>
        chain(
          clipByGlobalNorm(0.5),
          adamw({
            lr: warmupCosineDecay({ peak: 0.05, warmupSteps: 3, decaySteps: 30 }),
            weightDecay: 0.1,
            amsgrad: true,
          }),
        );
      let reports = 0;
      const plain = createOptimizer(make(), a, { kernel });
      const seen = createOptimizer(
        observe(make(), () => reports++, { every: 2, vScar: true }),
        b,
      );
      const ga = quadraticGrads("float32", 9);
      const gb = quadraticGrads("float32", 9);
      for (let t = 0; t < 40; t++) {
        plain.step(ga(a));
        seen.step(gb(b));
      }
      expect(reports).toBe(20);
      expect(snapshot(b)).toEqual(snapshot(a));
      expect(JSON.stringify((seen.stateDict().state as { inner: unknown }).inner)).toBe(
        JSON.stringify(plain.stateDict().state),
      );
    }
  });

  it("between reports it does not touch the gradients (without vScar)", () => {
    let reads = 0;
    const leaf = new Float64Array([1, 2]);
    const updates = Object.defineProperty({}, "w", {
      enumerable: true,
      get: () => {
        reads++;
        return leaf;
      },
    }) as Tree;
    const passThrough = { init: () => null, update: (u: Tree) => u };
    let reported = 0;
    const tx = observe(passThrough, () => reported++, { every: 5 });
    const state = tx.init({ w: new Float64Array(2) });
    for (let t = 1; t <= 4; t++) tx.update(updates, state);
    expect(reads).toBe(0);
    expect(state.count).toBe(4);
    tx.update(updates, state);
    expect(reported).toBe(1);
    expect(reads).toBeGreaterThan(0);
  });

  it("its state is plain data: save and resume give the same reports", () => {
    const run = (resumeAt: number | undefined) => {
      const params = randomTree("float64", 5);
      const seen: OptimizerStats[] = [];
      const make = () => observe(adamw({ lr: 0.05 }), (s) => seen.push(s), { every: 4, vScar: true });
      let opt = createOptimizer(make(), params);
      const grads = quadraticGrads("float64", 5);
      for (let t = 0; t < 16; t++) {
        if (t === resumeAt) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = createOptimizer(make(), params);
          opt.loadStateDict(saved);
        }
        opt.step(grads(params));
      }
      return { seen, state: opt.state };
    };
    const straight = run(undefined);
    const resumed = run(6);
    expect(resumed.seen.slice(-2)).toEqual(straight.seen.slice(-2));
    expect(straight.state.count).toBe(16);
    expect(Object.keys(straight.state).sort()).toEqual(["clippedSteps", "count", "inner", "typical"]);
  });

  it("checks its options", () => {
    const tx = adamw();
    expect(() => observe(tx, () => {}, { every: 0 })).toThrow(
      "observe: every = 0 is outside the allowed range [1, inf)",
    );
    expect(() => observe(tx, () => {}, { every: 2.5 })).toThrow(/every must be an integer/);
    expect(() => observe(tx, () => {}, { vScar: { recoverFactor: 20 } })).toThrow(
      "observe: vScar.recoverFactor = 20 is outside the allowed range (1, 10]",
    );
    expect(() => observe(tx, () => {}, { evry: 2 } as never)).toThrow(/unknown option 'evry'/);
    expect(() => observe(tx, "log" as never)).toThrow(/onStats must be a function/);
    expect(() => observe({} as never, () => {})).toThrow(/expected a gradient transformation/);
  });
});

describe("observe: effective-lr percentiles on a large tree", () => {
  it("min and max are exact; sampled percentiles are within the documented rank error", () => {
    const n = 60_000;
    const params = { w: new Float64Array(n), v: new Float64Array(1000) };
    const seen: OptimizerStats[] = [];
    const lr = 1e-3;
    const opt = createOptimizer(
      observe(adamw({ lr, weightDecay: 0 }), (s) => seen.push(s), { every: 1, sampleSize: 4096 }),
      params,
    );
    // |g| spread over four decades, with a period that a strided sample would alias with
    const g = (j: number) => 10 ** (-2 + 4 * (((j * 7919) % 1000) / 1000)) * (j % 64 === 0 ? 100 : 1);
    opt.step({
      w: new Float64Array(n).map((_, j) => g(j)),
      v: new Float64Array(1000).map((_, j) => g(j + n)),
    });
    const e = seen[0]!.effectiveLr!;
    expect(e.sampled).toBe(4096);
    expect(e.coordinates).toBe(n + 1000);
    const all = Float64Array.from({ length: n + 1000 }, (_, j) => lr / (Math.abs(g(j)) + 1e-8)).sort();
    expect(e.min).toBeCloseTo(all[0]!, 15);
    expect(e.max).toBeCloseTo(all[all.length - 1]!, 12);
    // rank of each sampled percentile in the exact distribution: within 4σ = 4·√(q(1−q)/4096)
    const rank = (x: number) => all.findIndex((y) => y >= x) / all.length;
    for (const [q, value] of [
      [0.1, e.p10],
      [0.5, e.p50],
      [0.9, e.p90],
    ] as const) {
      expect(Math.abs(rank(value) - q)).toBeLessThan(4 * Math.sqrt((q * (1 - q)) / 4096));
    }
    // with a sample as large as the tree, the percentiles are exact
    const exact: OptimizerStats[] = [];
    const o2 = createOptimizer(
      observe(adamw({ lr, weightDecay: 0 }), (s) => exact.push(s), { every: 1, sampleSize: n + 1000 }),
      {
        w: new Float64Array(n),
        v: new Float64Array(1000),
      },
    );
    o2.step({
      w: new Float64Array(n).map((_, j) => g(j)),
      v: new Float64Array(1000).map((_, j) => g(j + n)),
    });
    const x = exact[0]!.effectiveLr!;
    expect(x.sampled).toBeNull();
    const at = (q: number) => {
      const pos = q * (all.length - 1);
      const lo = Math.floor(pos);
      return all[lo]! + (pos - lo) * (all[lo + 1]! - all[lo]!);
    };
    expect(x.p10).toBeCloseTo(at(0.1), 15);
    expect(x.p50).toBeCloseTo(at(0.5), 15);
    expect(x.p90).toBeCloseTo(at(0.9), 15);
    expect(leavesOf(params)).toHaveLength(2);
  });

  it("the sample does not alias with a layout whose period divides the stratum width", () => {
    // 65,536 coordinates, 4096 strata of exactly 16: every 16th gradient is 100× the others
    const n = 65_536;
    const seen: OptimizerStats[] = [];
    const opt = createOptimizer(
      observe(adamw({ lr: 1, weightDecay: 0, eps: 0 }), (s) => seen.push(s), { every: 1, sampleSize: 4096 }),
      { w: new Float64Array(n) },
    );
    opt.step({ w: new Float64Array(n).map((_, j) => (j % 16 === 0 ? 100 : 1 + j / n)) });
    const e = seen[0]!.effectiveLr!;
    // effective lr = 1/|g|: 1/16 of the coordinates at 0.01, the rest spread over (0.5, 1]
    expect(e.min).toBeCloseTo(0.01, 15);
    expect(e.p10).toBeGreaterThan(0.5);
    expect(e.p50).toBeGreaterThan(0.6);
    expect(e.p50).toBeLessThan(0.74);
  });
});

describe("observe on the fused kernels", () => {
  const run = (kernel: "reference" | "js" | "wasm", dtype: "float32" | "float64", every: number) => {
    const params = randomTree(dtype, 11);
    const reports: OptimizerStats[] = [];
    // observe inside skipNonFinite, as its doc asks (a wrapper hides what it wraps).
    const tx = skipNonFinite(
      observe(
        chain(clipByGlobalNorm(0.5), adamw({ lr: 0.01, weightDecay: 0.1, mask: (p) => p !== "gain" })),
        (s) => reports.push(s),
        { every },
      ),
    );
    const opt = createOptimizer(tx, params, { kernel });
    const grads = quadraticGrads(dtype, 3);
    for (let t = 0; t < 12; t++) opt.step(grads(params));
    return { reports, opt, params };
  };
  const close = (a: number | null, b: number | null, rel: number) => {
    expect(a === null).toBe(b === null);
    if (a !== null && b !== null)
      expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1e-12, Math.abs(b)));
  };
  for (const [kernel, dtype] of [
    ["js", "float64"],
    ["js", "float32"],
    ["wasm", "float32"],
    ["wasm", "float64"],
  ] as const) {
    it(`${kernel} ${dtype}: the same reports as the reference chain (the update measured as applied)`, () => {
      const ref = run("reference", dtype, 3);
      const fast = run(kernel, dtype, 3);
      expect(fast.opt.kernel).toBe(kernel);
      expect(fast.reports.length).toBe(4);
      // float64: new − old params differs from the update by rounding of p (≈1e-16·|p|); float32 by ≈6e-8·|p|
      const rel = dtype === "float64" ? 1e-9 : 2e-3;
      fast.reports.forEach((s, i) => {
        const r = ref.reports[i]!;
        expect(s.step).toBe(r.step);
        close(s.gradNorm, r.gradNorm, dtype === "float64" ? 1e-12 : 1e-6);
        close(s.updateNorm, r.updateNorm, rel);
        close(s.paramNorm, r.paramNorm, 1e-6);
        expect(s.effectiveLr).not.toBeNull();
        close(s.effectiveLr?.p50 ?? null, r.effectiveLr?.p50 ?? null, 1e-4);
        close(s.effectiveLr?.max ?? null, r.effectiveLr?.max ?? null, 1e-4);
        expect(s.clip?.clippedSteps).toBe(r.clip?.clippedSteps);
        close(s.clip?.totalNorm ?? null, r.clip?.totalNorm ?? null, 1e-6);
        close(s.decay?.pullNorm ?? null, r.decay?.pullNorm ?? null, 1e-6);
        expect(s.hyperparams).toEqual(r.hyperparams);
        expect(s.leaves?.map((l) => l.path)).toEqual(r.leaves?.map((l) => l.path));
      });
      expect((fast.opt.state as { inner: { count: number } }).inner.count).toBe(12);
    });
  }
  it("a throwing onStats undoes the step on the fused path too (params, state, count)", () => {
    for (const kernel of ["reference", "js", "wasm"] as const) {
      const params = randomTree("float32", 2);
      let fail = false;
      const opt = createOptimizer(
        observe(
          adamw({ lr: 0.01 }),
          () => {
            if (fail) throw new Error("stop here");
          },
          { every: 2 },
        ),
        params,
        { kernel },
      );
      const grads = quadraticGrads("float32", 1);
      opt.step(grads(params));
      const before = JSON.stringify(opt.stateDict());
      const p0 = snapshot(params);
      fail = true;
      expect(() => opt.step(grads(params)), kernel).toThrow(/stop here/);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
      expect(snapshot(params)).toEqual(p0);
      expect(opt.stepCount).toBe(1);
      fail = false;
      opt.step(grads(params)); // and it continues
      expect(opt.stepCount).toBe(2);
    }
  });
  it("with vScar it runs the reference chain (its estimate reads every gradient)", () => {
    const opt = createOptimizer(
      observe(adamw(), () => {}, { vScar: true }),
      randomTree("float32", 1),
    );
    expect(opt.kernel).toBe("reference");
    expect(() =>
      createOptimizer(
        observe(adamw(), () => {}, { vScar: true }),
        randomTree("float32", 1),
        { kernel: "wasm" },
      ),
    ).toThrow(/v-scar estimate reads every gradient/);
  });
});
