import { makeRunner, noisyGradient, ravine, rosenbrock, saddle, trajectory } from "@momenta/landscapes";
import { adam, chain, lbfgs, sam, sgd } from "momenta-optim";
import { describe, expect, it } from "vitest";

describe("trajectory", () => {
  it("plain sgd equals a hand-written GD loop bit for bit", () => {
    const l = rosenbrock();
    const lr = 1e-3;
    const steps = 500;
    const t = trajectory(l, sgd({ lr }), { start: l.start, steps });
    expect(t.xs.length).toBe(steps + 1);
    let [x, y] = l.start;
    const g = new Float64Array(2);
    for (let i = 0; i <= steps; i++) {
      expect(t.xs[i]).toBe(x);
      expect(t.ys[i]).toBe(y);
      expect(t.values[i]).toBe(l.value(x, y));
      l.gradient(x, y, g);
      x -= lr * g[0]!;
      y -= lr * g[1]!;
    }
  });

  it("with noise equals GD on the same seeded noisy gradients, bit for bit", () => {
    const l = saddle();
    const lr = 0.05;
    const noise = { sigma: 0.1, seed: 42 };
    const t = trajectory(l, sgd({ lr }), { start: l.start, steps: 200, noise });
    const oracle = noisyGradient(l, noise);
    let [x, y] = l.start;
    for (let i = 0; i <= 200; i++) {
      expect([t.xs[i], t.ys[i]]).toEqual([x, y]);
      const g = oracle(x, y);
      x -= lr * g[0]!;
      y -= lr * g[1]!;
    }
    // And the noise is deterministic: the same run twice is identical.
    const again = trajectory(l, sgd({ lr }), { start: l.start, steps: 200, noise });
    expect(again).toEqual(t);
  });

  it("steps 0 gives the start alone", () => {
    const l = ravine();
    const t = trajectory(l, adam({ lr: 0.1 }), { start: [1, 2], steps: 0 });
    expect(Array.from(t.xs)).toEqual([1]);
    expect(Array.from(t.ys)).toEqual([2]);
    expect(Array.from(t.values)).toEqual([l.value(1, 2)]);
  });

  it("validates start and steps", () => {
    const l = ravine();
    const tx = sgd({ lr: 0.1 });
    for (const steps of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => trajectory(l, tx, { start: [0, 0], steps })).toThrow(/steps must be an integer ≥ 0/);
    }
    for (const start of [[0, Number.NaN], [Number.POSITIVE_INFINITY, 0], [0], [0, 0, 0]]) {
      expect(() => trajectory(l, tx, { start: start as unknown as [number, number], steps: 1 })).toThrow(
        /start must be two finite numbers/,
      );
      expect(() => makeRunner(l, tx, { start: start as unknown as [number, number] })).toThrow(
        /start must be two finite numbers/,
      );
    }
  });

  it("runs any chain: Adam gets down a rotated ravine", () => {
    const l = ravine({ condition: 100, angle: 0.7 });
    const t = trajectory(l, chain(adam({ lr: 0.05 })), { start: l.start, steps: 2000 });
    expect(t.values[2000]!).toBeLessThan(1e-3 * t.values[0]!);
  });
});

describe("makeRunner", () => {
  it("steps like trajectory and exposes the optimizer and its state", () => {
    const l = rosenbrock();
    const runner = makeRunner(l, adam({ lr: 0.01 }), { start: l.start, noise: { sigma: 0.2, seed: 5 } });
    const t = trajectory(l, adam({ lr: 0.01 }), {
      start: l.start,
      steps: 20,
      noise: { sigma: 0.2, seed: 5 },
    });
    expect(runner.current).toEqual([t.xs[0], t.ys[0], t.values[0]]);
    for (let i = 1; i <= 20; i++) {
      expect(runner.step()).toEqual([t.xs[i], t.ys[i], t.values[i]]);
      expect(runner.optimizer.stepCount).toBe(i);
    }
    expect(runner.optimizer.kernel).toBe("reference");
    expect(runner.optimizer.params).toBe(runner.params);
    expect(runner.current).toEqual([t.xs[20], t.ys[20], t.values[20]]);
    expect(runner.optimizer.state).toBeDefined();
  });

  it("drives closure transforms: SAM takes its second gradient where it perturbed the point", () => {
    const l = rosenbrock();
    const lr = 1e-3;
    const rho = 0.05;
    const runner = makeRunner(l, sam(sgd({ lr }), { rho }), { start: l.start });
    // SAM by hand: w ← w − lr·∇f(w + ρ·g/‖g‖), g = ∇f(w) (the wrapper adds 1e-12 to the norm).
    let [x, y] = l.start;
    const g = new Float64Array(2);
    for (let i = 0; i < 50; i++) {
      l.gradient(x, y, g);
      const s = rho / (Math.hypot(g[0]!, g[1]!) + 1e-12);
      l.gradient(x + s * g[0]!, y + s * g[1]!, g);
      x -= lr * g[0]!;
      y -= lr * g[1]!;
      const [rx, ry] = runner.step();
      expect(rx).toBeCloseTo(x, 13);
      expect(ry).toBeCloseTo(y, 13);
    }
  });

  it("drives L-BFGS's line search, which evaluates several points a step", () => {
    const l = rosenbrock();
    const runner = makeRunner(l, lbfgs({ lineSearchFn: "strong_wolfe" }), { start: l.start });
    for (let i = 0; i < 20; i++) runner.step();
    expect(runner.current[2]).toBeLessThan(1e-8);
  });
});
