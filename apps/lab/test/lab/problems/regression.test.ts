import { describe, expect, it } from "vitest";
import { choleskyInPlace, choleskySolve, solveSpd } from "../../../src/lab/problems/cholesky.ts";
import { outlierRegression } from "../../../src/lab/problems/huber.ts";
import { distance, leastSquares, minimumNormSolution } from "../../../src/lab/problems/least-squares.ts";
import { logistic } from "../../../src/lab/problems/logistic.ts";
import { ridge, ridgeClosedForm } from "../../../src/lab/problems/ridge.ts";

/** Central finite-difference gradient of f at w. */
function fdGrad(f: (w: Float64Array) => number, w: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(w.length);
  for (let j = 0; j < w.length; j++) {
    const p = w.slice();
    const m = w.slice();
    p[j]! += h;
    m[j]! -= h;
    g[j] = (f(p) - f(m)) / (2 * h);
  }
  return g;
}

const w0 = Float64Array.from([0.3, -0.7, 1.1, 0.2]);

describe("cholesky", () => {
  it("solves an SPD system exactly and refuses an indefinite one", () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const b = [1, 2, 3];
    const x = solveSpd(a, 3, b);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += a[i * 3 + j]! * x[j]!;
      expect(s).toBeCloseTo(b[i]!, 12);
    }
    const l = Float64Array.from([1, 2, 2, 1]);
    expect(() => choleskyInPlace(l, 2)).toThrow(/not positive definite/);
    const id = Float64Array.from([1, 0, 0, 1]);
    choleskyInPlace(id, 2);
    expect(Array.from(choleskySolve(id, 2, [3, 4]))).toEqual([3, 4]);
  });
});

describe("least squares and ridge", () => {
  const p = leastSquares({ n: 30, scales: [1, 10, 0.1, 0], noise: 0.1, seed: 3 });
  it("has exact gradients and is seeded", () => {
    const g = new Float64Array(4);
    p.gradient(w0, g);
    const fd = fdGrad((w) => p.loss(w), w0);
    for (let j = 0; j < 4; j++) expect(g[j]).toBeCloseTo(fd[j]!, 5);
    expect(g[3]).toBe(0); // a silent feature never gets a data gradient
    const q = leastSquares({ n: 30, scales: [1, 10, 0.1, 0], noise: 0.1, seed: 3 });
    expect(Array.from(q.X)).toEqual(Array.from(p.X));
  });
  it("ridge: closed form zeroes the gradient; gradient matches finite differences", () => {
    const r = ridge(p, 0.05);
    const g = new Float64Array(4);
    const f = (w: Float64Array) => r.gradient(w, new Float64Array(4));
    r.gradient(w0, g);
    const fd = fdGrad(f, w0);
    for (let j = 0; j < 4; j++) expect(g[j]).toBeCloseTo(fd[j]!, 5);
    const { w, flops } = ridgeClosedForm(p, 0.05);
    r.gradient(w, g);
    for (let j = 0; j < 4; j++) expect(Math.abs(g[j]!)).toBeLessThan(1e-12);
    expect(flops).toBeGreaterThan(0);
  });
  it("minimum-norm solution interpolates and lies in the row space", () => {
    const u = leastSquares({ n: 4, scales: Array(9).fill(1), seed: 5 });
    const w = minimumNormSolution(u);
    expect(u.loss(w)).toBeLessThan(1e-24);
    // Adding a null-space direction keeps the fit and increases the norm.
    const g = new Float64Array(9);
    u.gradient(w, g);
    expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-12);
    expect(distance(w, new Float64Array(9))).toBeGreaterThan(0);
  });
});

describe("outlier regression (Huber)", () => {
  const p = outlierRegression({ n: 50, scales: [1, 2, 0.5, 1], seed: 7 });
  it("has exactly 10 % outliers and exact MSE/Huber gradients", () => {
    expect(p.outlier.reduce((s, v) => s + v, 0)).toBe(5);
    const all = Int32Array.from({ length: 50 }, (_, i) => i);
    for (const loss of ["mse", "huber"] as const) {
      const g = new Float64Array(4);
      p.gradient(loss, w0, g, all, 1.345);
      const fd = fdGrad((w) => p.gradient(loss, w, new Float64Array(4), all, 1.345), w0);
      for (let j = 0; j < 4; j++) expect(g[j]).toBeCloseTo(fd[j]!, 5);
    }
  });
  it("caps each sample's Huber gradient at δ·|x|", () => {
    const g = new Float64Array(4);
    const bad = p.outlier.indexOf(1);
    p.gradient("huber", new Float64Array(4), g, [bad], 1);
    for (let j = 0; j < 4; j++)
      expect(Math.abs(g[j]!)).toBeLessThanOrEqual(Math.abs(p.X[bad * 4 + j]!) + 1e-12);
  });
});

describe("logistic", () => {
  const p = logistic({ nTrain: 40, nTest: 100, scales: [0.1, 1, 10, 3], seed: 9 });
  it("has exact gradients, and minibatch gradients over all samples equal the full one", () => {
    const g = new Float64Array(4);
    const f = p.gradient(w0, g);
    expect(f).toBeCloseTo(p.trainLoss(w0), 12);
    const fd = fdGrad((w) => p.trainLoss(w), w0);
    for (let j = 0; j < 4; j++) expect(g[j]).toBeCloseTo(fd[j]!, 5);
    const gb = new Float64Array(4);
    p.batchGradient(
      w0,
      gb,
      Array.from({ length: 40 }, (_, i) => i),
    );
    for (let j = 0; j < 4; j++) expect(gb[j]).toBeCloseTo(g[j]!, 14);
    expect(p.testLoss(new Float64Array(4))).toBeCloseTo(Math.log(2), 12);
    expect(p.testError(p.truth)).toBeLessThan(0.5);
  });
});
