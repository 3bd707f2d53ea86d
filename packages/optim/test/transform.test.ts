import * as fc from "fast-check";
import * as api from "momenta-optim";
import {
  type AnyTransformation,
  adam,
  applyUpdates,
  chain,
  cloneTree,
  createOptimizer,
  declarationOf,
  type FloatArray,
  type GradientTransformation,
  identity,
  isFloatArray,
  leavesOf,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  stateBuffers,
  type Tree,
  trace,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { ALL_BUFFERS, quadraticGrads, randomTree, snapshot } from "./helpers.ts";

/** Runs `steps` updates of `tx` from the same params and gradient stream; returns the final params. */
function trajectory(tx: GradientTransformation<unknown>, seed: number, steps = 25): number[][] {
  const params = randomTree("float64", seed);
  // The chain itself (float64 would take the WASM kernel, equal to rounding, not bit for bit)
  const opt = createOptimizer(tx, params, { kernel: "reference" });
  const grads = quadraticGrads("float64", seed + 7);
  for (let i = 0; i < steps; i++) opt.step(grads(params));
  return snapshot(params);
}

describe("chain", () => {
  it("chain(identity(), tx) ≡ tx ≡ chain(tx, identity())", () => {
    const base = trajectory(adam({ lr: 0.05 }), 1);
    expect(trajectory(chain(identity(), adam({ lr: 0.05 })), 1)).toEqual(base);
    expect(trajectory(chain(adam({ lr: 0.05 }), identity()), 1)).toEqual(base);
  });

  it("is associative (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        (seed, momentum, lr) => {
          const a = () => scale(0.5);
          const b = () => trace({ momentum });
          const c = () => scaleByLearningRate(lr);
          const left = trajectory(chain(chain(a(), b()), c()), seed, 8);
          const right = trajectory(chain(a(), chain(b(), c())), seed, 8);
          const flat = trajectory(chain(a(), b(), c()), seed, 8);
          expect(left).toEqual(flat);
          expect(right).toEqual(flat);
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });

  it("checks updates against params before any link runs", () => {
    const params = randomTree("float64", 3);
    const tx = chain(scaleByAdam(), scaleByLearningRate(0.1));
    const state = tx.init(params);
    const before = JSON.stringify(snapshot(state[0].expAvg as unknown as Tree));
    const bad = cloneTree(params) as { gain: Float64Array };
    (bad as Record<string, unknown>).gain = new Float64Array(5);
    expect(() => tx.update(bad as unknown as Tree, state, params)).toThrow(
      /'gain': expected length 2, got 5/,
    );
    expect(state[0].count).toBe(0);
    expect(JSON.stringify(snapshot(state[0].expAvg as unknown as Tree))).toBe(before);
  });

  it("rejects non-transforms", () => {
    expect(() => chain(identity(), {} as never)).toThrow(/argument 1 is not a gradient transformation/);
  });
});

describe("applyUpdates", () => {
  it("adds in place and returns the params", () => {
    const p = { w: Float64Array.from([1, 2]) };
    const out = applyUpdates(p, { w: Float64Array.from([0.5, -1]) });
    expect(out).toBe(p);
    expect(Array.from(p.w)).toEqual([1.5, 1]);
  });
  it("refuses mismatched trees without writing", () => {
    const p = { w: Float64Array.from([1, 2]) };
    expect(() => applyUpdates(p, { v: Float64Array.from([1, 1]) } as Tree)).toThrow(/keys differ/);
    expect(Array.from(p.w)).toEqual([1, 2]);
  });
});

describe("ownership", () => {
  it("createOptimizer never writes the caller's gradients", () => {
    const params = randomTree("float32", 5);
    const opt = createOptimizer(adam({ lr: 0.1, weightDecay: 0.1 }), params);
    const g = randomTree("float32", 6);
    const copy = snapshot(g);
    opt.step(g);
    opt.step(g);
    expect(snapshot(g)).toEqual(copy);
  });
  it("tx.update may reuse the update arrays it is given (documented), and never writes params", () => {
    const params = randomTree("float64", 5);
    const p0 = snapshot(params);
    const tx = sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const state = tx.init(params);
    const u = randomTree("float64", 6);
    const out = tx.update(u, state, params);
    expect(leavesOf(out)[0]).toBe(leavesOf(u)[0]);
    expect(snapshot(params)).toEqual(p0);
  });
});

describe("stateBuffers: a state's per-leaf buffers by name", () => {
  const leafCount = (t: Tree) => leavesOf(t).length;
  /** Every list of leaf-sized float arrays anywhere in a state (what the view must cover). */
  function perLeafLists(state: unknown, params: Tree): FloatArray[][] {
    const sizes = leavesOf(params).map((l) => l.length);
    const out: FloatArray[][] = [];
    const walk = (s: unknown) => {
      if (s === null || typeof s !== "object" || ArrayBuffer.isView(s)) return;
      if (
        Array.isArray(s) &&
        s.length === sizes.length &&
        s.every((b, i) => isFloatArray(b) && b.length === sizes[i])
      ) {
        out.push(s as FloatArray[]);
        return;
      }
      for (const v of Array.isArray(s) ? s : Object.values(s)) walk(v);
    };
    walk(state);
    return out;
  }
  const declared = Object.entries(api).flatMap(([name, f]) =>
    declarationOf(f) ? [[name, f as (o?: object) => AnyTransformation] as const] : [],
  );

  it("lists every leaf-sized buffer of every optimizer's state, one array per leaf, the state's own", () => {
    expect(declared.length).toBeGreaterThanOrEqual(25);
    const params = randomTree("float64", 3);
    for (const [name, f] of declared) {
      const options = ALL_BUFFERS;
      const tx = f(options[name] ?? {});
      const state = tx.init(params);
      const view = stateBuffers(tx, state, params);
      const listed = new Set(Object.values(view));
      for (const list of Object.values(view)) expect(list.length, name).toBe(leafCount(params));
      for (const list of perLeafLists(state, params))
        expect(listed.has(list), `${name}: a buffer list missing from the view`).toBe(true);
      // stateless without momentum (sgd, sgdw, lars); L-BFGS's vectors are flat over the whole tree
      if (!["sgd", "sgdw", "lars", "lbfgs"].includes(name) || options[name])
        expect(Object.keys(view).length, name).toBeGreaterThan(0);
    }
  });

  it("names what PyTorch names (expAvg, expAvgSq, maxExpAvgSq, momentumBuffer, squareAvg…)", () => {
    const params = randomTree("float32", 1);
    const keys = (tx: AnyTransformation) => Object.keys(stateBuffers(tx, tx.init(params), params));
    expect(keys(api.adamw({ amsgrad: true }))).toEqual(["expAvg", "expAvgSq", "maxExpAvgSq"]);
    expect(keys(api.sgd({ momentum: 0.9 }))).toEqual(["momentumBuffer"]);
    expect(keys(api.rmsprop({ centered: true }))).toEqual(["squareAvg", "gradAvg"]);
    expect(keys(api.sgd())).toEqual([]);
  });

  it("goes through chains (a repeated name as name@i), wrappers (adding their own) and partitions", () => {
    const params = randomTree("float64", 2);
    const keys = (tx: AnyTransformation) => Object.keys(stateBuffers(tx, tx.init(params), params));
    expect(keys(chain(trace({ momentum: 0.9 }), trace({ momentum: 0.5 }), scaleByAdam()))).toEqual([
      "momentumBuffer",
      "momentumBuffer@1",
      "expAvg",
      "expAvgSq",
    ]);
    expect(keys(api.lookahead(adam()))).toEqual(["expAvg", "expAvgSq", "slow"]);
    expect(keys(api.accumulateGradients(adam(), 2))).toEqual(["expAvg", "expAvgSq", "acc"]);
    expect(keys(api.ema(adam()))).toEqual(["expAvg", "expAvgSq", "average"]);
    expect(keys(api.skipNonFinite(adam()))).toEqual(["expAvg", "expAvgSq"]);
    expect(keys(api.scheduleFreeAdamw())).toEqual(["squareAvg", "z", "x", "y"]);
    expect(keys(api.injectHyperparams(api.adamw, { lr: 1e-3 }))).toEqual(["expAvg", "expAvgSq"]);
    // a partition spreads each label's buffers back over the whole tree, empty where they do not apply
    const split = api.partition({ a: adam(), b: sgd({ momentum: 0.9 }) }, (p) =>
      p.startsWith("dense") ? "a" : "b",
    );
    const state = split.init(params);
    const view = stateBuffers(split, state, params);
    expect(Object.keys(view)).toEqual(["expAvg", "expAvgSq", "momentumBuffer"]);
    const { paths } = api.flatten(params);
    const leaves = leavesOf(params);
    const isA = paths.map((p) => p.startsWith("dense"));
    expect(view.expAvg!.map((b) => b.length)).toEqual(leaves.map((l, i) => (isA[i] ? l.length : 0)));
    expect(view.momentumBuffer!.map((b) => b.length)).toEqual(leaves.map((l, i) => (isA[i] ? 0 : l.length)));
    expect(view.expAvg![isA.indexOf(true)]).toBe((state.a as [{ expAvg: FloatArray[] }])[0].expAvg[0]);
  });

  it("is live: createOptimizer's buffers are the arrays its steps write, on every kernel", () => {
    for (const kernel of ["reference", "js", "wasm"] as const) {
      const params = randomTree("float32", 4);
      const opt = createOptimizer(adam({ lr: 0.1 }), params, { kernel });
      const g = leavesOf(quadraticGrads("float32", 5)(params)).map((l) => Float64Array.from(l));
      opt.step(quadraticGrads("float32", 5)(params));
      // after one step v = (1 − β2)·g², rounded to float32
      const v = opt.buffers.expAvgSq!;
      g.forEach((gl, i) => {
        gl.forEach((x, j) => {
          expect(v[i]![j], kernel).toBeCloseTo(0.001 * x * x, 6);
        });
      });
      expect(opt.buffers.expAvgSq![0], kernel).toBe(v[0]);
      opt.dispose();
      expect(() => opt.buffers).toThrow(/disposed/);
    }
  });
});
