/**
 * lbfgs beyond the golden trajectories: it needs a closure, resumes exactly from a state dict (its
 * history is the one state of varying size), refuses a history longer than it keeps, and a step
 * whose closure throws mid-search changes nothing.
 */
import { createOptimizer, type Evaluation, lbfgs, type ScaleByLbfgsState } from "momenta-optim";
import { describe, expect, it } from "vitest";

/** Rosenbrock over a two-leaf tree (x in `a`, y in `b`). */
function rosenbrock(p: { a: Float64Array; b: Float64Array }, failAt?: { n: number; at: number }): Evaluation {
  if (failAt && ++failAt.n === failAt.at) throw new Error("evaluation failed");
  const [x, y] = [p.a[0]!, p.b[0]!];
  return {
    loss: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grads: {
      a: Float64Array.of(-2 * (1 - x) - 400 * x * (y - x * x)),
      b: Float64Array.of(200 * (y - x * x)),
    },
  };
}

const start = () => ({ a: Float64Array.of(-1.2), b: Float64Array.of(1) });

describe("lbfgs", () => {
  it("asks for a closure when stepped with gradients", () => {
    const p = start();
    const opt = createOptimizer(lbfgs(), p);
    expect(() => opt.step(rosenbrock(p).grads)).toThrow(/lbfgs: .*step it with a closure/);
    expect(opt.stepCount).toBe(0);
  });

  for (const lineSearchFn of [null, "strong_wolfe"] as const) {
    it(`resumes from a JSON state dict exactly (${lineSearchFn ?? "fixed steps"})`, () => {
      const options = { lr: lineSearchFn ? 1 : 0.002, maxIter: 3, historySize: 4, lineSearchFn };
      const a = start();
      const straight = createOptimizer(lbfgs(options), a);
      for (let t = 0; t < 8; t++) straight.step(() => rosenbrock(a));

      const b = start();
      const first = createOptimizer(lbfgs(options), b);
      for (let t = 0; t < 4; t++) first.step(() => rosenbrock(b));
      const saved = JSON.stringify(first.stateDict());
      expect((first.state as unknown as ScaleByLbfgsState).history.length).toBe(4);
      const resumed = createOptimizer(lbfgs(options), b);
      resumed.loadStateDict(JSON.parse(saved));
      for (let t = 0; t < 4; t++) resumed.step(() => rosenbrock(b));
      expect([b.a[0], b.b[0]]).toEqual([a.a[0], a.b[0]]);
      expect(resumed.stateDict()).toEqual(straight.stateDict());
    });
  }

  it("refuses a saved history longer than historySize, changing nothing", () => {
    const p = start();
    const big = createOptimizer(lbfgs({ historySize: 5, maxIter: 4 }), p);
    for (let t = 0; t < 3; t++) big.step(() => rosenbrock(p));
    const dict = big.stateDict();
    const small = createOptimizer(lbfgs({ historySize: 2, maxIter: 4 }), start());
    const before = JSON.stringify(small.stateDict());
    expect(() => small.loadStateDict(dict)).toThrow(/more than historySize 2/);
    expect(JSON.stringify(small.stateDict())).toBe(before);
  });

  it("a closure that throws at any evaluation of a line search leaves params, history and count as they were", () => {
    // how many evaluations the second step makes, counted on a twin
    const twin = start();
    const counter = createOptimizer(lbfgs({ maxIter: 4, lineSearchFn: "strong_wolfe" }), twin);
    counter.step(() => rosenbrock(twin));
    const counted = { n: 0, at: -1 };
    counter.step(() => rosenbrock(twin, counted));
    expect(counted.n).toBeGreaterThan(4);
    for (let at = 1; at <= counted.n; at++) {
      const p = start();
      const opt = createOptimizer(lbfgs({ maxIter: 4, lineSearchFn: "strong_wolfe" }), p);
      opt.step(() => rosenbrock(p));
      const before = { dict: JSON.stringify(opt.stateDict()), a: p.a[0], b: p.b[0] };
      const n = { n: 0, at };
      expect(() => opt.step(() => rosenbrock(p, n))).toThrow("evaluation failed");
      expect(JSON.stringify(opt.stateDict())).toBe(before.dict);
      expect([p.a[0], p.b[0]]).toEqual([before.a, before.b]);
    }
  });

  it("finds Rosenbrock's minimum with the line search", () => {
    const p = start();
    const opt = createOptimizer(lbfgs({ lineSearchFn: "strong_wolfe" }), p);
    // from f = 24.2 to below 1e-8 (where toleranceChange stops each step), as PyTorch's does
    for (let t = 0; t < 5; t++) opt.step(() => rosenbrock(p));
    expect(rosenbrock(p).loss).toBeLessThan(1e-8);
    expect(p.a[0]).toBeCloseTo(1, 4);
  });
});
