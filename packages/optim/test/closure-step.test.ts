/**
 * `step(closure)`: PyTorch's closure step. Ordinary transforms take the first evaluation's gradient
 * and return its loss; closure transforms (here a backtracking line search written for the test)
 * move the params to trial points and evaluate again. All or nothing, synchronous or not.
 */
import fc from "fast-check";
import * as api from "momenta-optim";
import {
  adamw,
  type ClosureUpdate,
  chain,
  createOptimizer,
  type Evaluation,
  type GradientTransformation,
  leavesOf,
  scale,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

/** f(w) = ½ Σ a_j (w_j − 1)²: loss and gradient at `w`. */
function quadratic(w: Float64Array, evaluations: { n: number }, fail?: number): Evaluation {
  evaluations.n += 1;
  if (fail !== undefined && evaluations.n === fail) throw new Error(`evaluation ${fail} failed`);
  const g = new Float64Array(w.length);
  let loss = 0;
  for (let j = 0; j < w.length; j++) {
    const a = j + 1;
    g[j] = a * (w[j]! - 1);
    loss += 0.5 * a * (w[j]! - 1) ** 2;
  }
  return { loss, grads: { w: g } };
}

/** Gradient descent with an Armijo backtracking line search: halves t until the loss falls enough. */
function backtracking(lr: number): GradientTransformation<{ count: number; tried: number }> {
  return {
    init: () => ({ count: 0, tried: 0 }),
    update() {
      throw new TypeError("backtracking: needs the objective: step it with a closure");
    },
    *updateWithClosure(updates: Tree, state, params: Tree, loss: number): ClosureUpdate {
      const ps = leavesOf(params);
      const start = ps.map((p) => p.slice());
      const g = leavesOf(updates).map((u) => u.slice());
      let g2 = 0;
      for (const gl of g) for (const x of gl) g2 += x * x;
      let t = lr;
      for (;;) {
        ps.forEach((p, i) => {
          for (let j = 0; j < p.length; j++) p[j] = start[i]![j]! - t * g[i]![j]!;
        });
        state.tried += 1;
        const e = yield;
        if (e.loss <= loss - 0.5 * t * g2) break;
        t /= 2;
      }
      state.count += 1;
      // the params are where the search left them: nothing more to add
      for (const u of leavesOf(updates)) u.fill(0);
      return updates;
    },
  };
}

describe("step(closure)", () => {
  it("an ordinary transform steps from the first evaluation's gradient and returns its loss", () => {
    const a = { w: new Float64Array([0, 2, -1]) };
    const b = { w: a.w.slice() };
    const oa = createOptimizer(adamw({ lr: 0.1 }), a);
    const ob = createOptimizer(adamw({ lr: 0.1 }), b);
    const n = { n: 0 };
    for (let t = 0; t < 5; t++) {
      const loss = oa.step(() => quadratic(a.w, n));
      expect(loss).toBe(quadratic(b.w, { n: 0 }).loss);
      ob.step(quadratic(b.w, { n: 0 }).grads);
    }
    expect(a.w).toEqual(b.w);
    expect(n.n).toBe(5);
    expect(oa.stepCount).toBe(5);
  });

  it("an async closure gives a promise of the loss, and no other step starts before it settles", async () => {
    const p = { w: new Float64Array([0, 2, -1]) };
    const opt = createOptimizer(adamw({ lr: 0.1 }), p);
    const pending = opt.step(async () => quadratic(p.w, { n: 0 }));
    expect(() => opt.step({ w: new Float64Array(3) })).toThrow(/in progress/);
    expect(await pending).toBeCloseTo(0.5 * 1 + 0.5 * 2 * 1 + 0.5 * 3 * 4, 12);
    expect(opt.stepCount).toBe(1);
    opt.step({ w: new Float64Array(3) });
    expect(opt.stepCount).toBe(2);
  });

  it("a closure transform evaluates at its trial points, in the caller's arrays, sync or async", async () => {
    for (const async of [false, true]) {
      const p = { w: new Float64Array([0, 2, -1]) };
      const opt = createOptimizer(chain(scale(1), backtracking(1)), p);
      const n = { n: 0 };
      const seen: number[][] = [];
      const closure = () => {
        seen.push(Array.from(p.w));
        return quadratic(p.w, n);
      };
      let loss = Number.POSITIVE_INFINITY;
      for (let t = 0; t < 30; t++) {
        const before = quadratic(p.w, { n: 0 }).loss;
        const r = async ? await opt.step(async () => closure()) : opt.step(closure);
        expect(r).toBe(before); // the first evaluation's loss, as PyTorch's step returns
        loss = quadratic(p.w, { n: 0 }).loss;
        expect(loss).toBeLessThan(before);
      }
      expect(loss).toBeLessThan(1e-6);
      // every step evaluated at its start and at least once more, at a trial point
      expect(n.n).toBeGreaterThanOrEqual(60);
      expect(new Set(seen.map((x) => x.join())).size).toBeGreaterThan(30);
      expect(opt.stepCount).toBe(30);
      expect((opt.state as [null, { count: number }])[1].count).toBe(30);
    }
  });

  it("throwing at any evaluation, or returning a bad one, leaves params, state and count as they were", async () => {
    for (const async of [false, true]) {
      for (let fail = 1; fail <= 4; fail++) {
        const p = { w: new Float64Array([0, 2, -1]) };
        const opt = createOptimizer(backtracking(1), p);
        opt.step(() => quadratic(p.w, { n: 0 }));
        const before = { w: Array.from(p.w), state: structuredClone(opt.state), count: opt.stepCount };
        const n = { n: 0 };
        const closure = () => quadratic(p.w, n, fail);
        if (async) await expect(opt.step(async () => closure())).rejects.toThrow(`evaluation ${fail}`);
        else expect(() => opt.step(closure)).toThrow(`evaluation ${fail}`);
        expect(Array.from(p.w)).toEqual(before.w);
        expect(opt.state).toEqual(before.state);
        expect(opt.stepCount).toBe(before.count);
      }
      for (const bad of [
        null,
        { loss: 1 },
        { loss: "1", grads: {} },
        { loss: 1, grads: { v: new Float64Array(3) } },
      ]) {
        const p = { w: new Float64Array([0, 2, -1]) };
        const opt = createOptimizer(backtracking(1), p);
        let k = 0;
        const closure = () => (++k === 2 ? bad : quadratic(p.w, { n: 0 })) as Evaluation;
        if (async) await expect(opt.step(async () => closure())).rejects.toThrow(TypeError);
        else expect(() => opt.step(closure)).toThrow(TypeError);
        expect(Array.from(p.w)).toEqual([0, 2, -1]);
        expect(opt.stepCount).toBe(0);
        expect(opt.state).toEqual({ count: 0, tried: 0 });
      }
    }
  });

  it("a closure transform stepped with gradients asks for a closure", () => {
    const p = { w: new Float64Array([0, 2, -1]) };
    const opt = createOptimizer(backtracking(1), p);
    expect(() => opt.step({ w: new Float64Array(3) })).toThrow(/needs the objective/);
    expect(opt.stepCount).toBe(0);
  });
});

describe("closure transforms inside wrappers", () => {
  it("are refused when the wrapper is built, naming it (a wrapper's update cannot drive their evaluations)", () => {
    for (const [owner, wrap] of [
      ["skipNonFinite", (tx: GradientTransformation<unknown>) => api.skipNonFinite(tx)],
      ["lookahead", (tx: GradientTransformation<unknown>) => api.lookahead(tx)],
      ["ema", (tx: GradientTransformation<unknown>) => api.ema(tx)],
      ["accumulateGradients", (tx: GradientTransformation<unknown>) => api.accumulateGradients(tx, 2)],
      ["sam", (tx: GradientTransformation<unknown>) => api.sam(tx)],
      ["partition", (tx: GradientTransformation<unknown>) => api.partition({ a: tx }, () => "a")],
    ] as const) {
      expect(() => wrap(api.lbfgs() as GradientTransformation<unknown>), owner).toThrow(
        new RegExp(`^${owner}: .*closure transform`),
      );
      expect(() => wrap(api.sam(api.sgd()) as GradientTransformation<unknown>), owner).toThrow(
        /closure transform/,
      );
    }
    // a chain drives them
    expect(() => chain(api.clipByGlobalNorm(1), api.sam(api.sgd()))).not.toThrow();
  });
});

describe("closure steps are all or nothing (property)", () => {
  const makers: [string, () => GradientTransformation<unknown>][] = [
    ["lbfgs", () => api.lbfgs({ maxIter: 5 }) as GradientTransformation<unknown>],
    [
      "lbfgs strong_wolfe",
      () => api.lbfgs({ maxIter: 5, lineSearchFn: "strong_wolfe" }) as GradientTransformation<unknown>,
    ],
    ["sam(adamw)", () => api.sam(api.adamw({ lr: 0.1 })) as GradientTransformation<unknown>],
    [
      "clip → sam(sgd)",
      () =>
        chain(
          api.clipByGlobalNorm(1),
          api.sam(api.sgd({ lr: 0.1, momentum: 0.9 }), { adaptive: true }),
        ) as GradientTransformation<unknown>,
    ],
    ["adamw", () => api.adamw({ lr: 0.1 }) as GradientTransformation<unknown>],
  ];
  it("a closure failing at a random evaluation, sync or async, leaves params, state and count as they were", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...makers),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.constantFrom("float32" as const, "float64" as const),
        fc.integer({ min: 0, max: 3 }),
        async ([, make], failAt, async, dtype, warm) => {
          const F = dtype === "float32" ? Float32Array : Float64Array;
          const p = { w: F.from([0.3, -1.2, 2]), b: F.from([0.5]) };
          const opt = createOptimizer(make(), p);
          const evaluate = (n?: { n: number; at: number }) => {
            if (n && ++n.n === n.at) throw new Error("evaluation failed");
            // f = Σ (w − 1)⁴/4 + b²: a non-quadratic bowl
            let loss = p.b[0]! ** 2;
            const w = new F(p.w.length);
            p.w.forEach((x, i) => {
              loss += (x - 1) ** 4 / 4;
              w[i] = (x - 1) ** 3;
            });
            return { loss, grads: { w, b: F.from([2 * p.b[0]!]) } };
          };
          for (let t = 0; t < warm; t++) opt.step(() => evaluate());
          const before = { dict: JSON.stringify(opt.stateDict()), w: Array.from(p.w), b: p.b[0] };
          const n = { n: 0, at: failAt };
          let threw = false;
          try {
            await (async ? opt.step(async () => evaluate(n)) : opt.step(() => evaluate(n)));
          } catch (e) {
            threw = true;
            expect((e as Error).message).toBe("evaluation failed");
          }
          if (threw) {
            expect(JSON.stringify(opt.stateDict())).toBe(before.dict);
            expect([Array.from(p.w), p.b[0]]).toEqual([before.w, before.b]);
          } else expect(n.n).toBeLessThan(failAt); // the step needed fewer evaluations
        },
      ),
      { numRuns: 120, seed: 2026 },
    );
  });
});
