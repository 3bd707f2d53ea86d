import {
  finiteDifferenceHvp,
  type Hvp,
  hessianTrace,
  leavesOf,
  mapTree,
  type Tree,
  topEigenvalue,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { rng } from "../helpers.ts";

/** Params of n = 12 coordinates as a tree: a 5-vector and a shaped 7-vector, in float32 or float64. */
function paramsOf(values: number[], dtype: "float32" | "float64" = "float64"): Tree {
  const A = dtype === "float32" ? Float32Array : Float64Array;
  return { a: A.from(values.slice(0, 5)), b: { data: A.from(values.slice(5)), shape: [values.length - 5] } };
}

const flat = (t: Tree) => leavesOf(t).flatMap((l) => Array.from(l));
const treeLike = (like: Tree, values: number[]) => {
  let k = 0;
  return mapTree(like, (d) => d.map(() => values[k++]!));
};

/** A symmetric H = Q·diag(λ)·Qᵀ with Q orthogonal (Gram–Schmidt on seeded random columns). */
function rotated(spectrum: number[], seed: number): number[][] {
  const n = spectrum.length;
  const next = rng(seed);
  const q: number[][] = [];
  for (let k = 0; k < n; k++) {
    const c = Array.from({ length: n }, () => next() * 2 - 1);
    for (const prev of q) {
      const d = c.reduce((s, x, i) => s + x * prev[i]!, 0);
      for (let i = 0; i < n; i++) c[i]! -= d * prev[i]!;
    }
    const norm = Math.sqrt(c.reduce((s, x) => s + x * x, 0));
    q.push(c.map((x) => x / norm));
  }
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => spectrum.reduce((s, l, k) => s + l * q[k]![i]! * q[k]![j]!, 0)),
  );
}

const matVec = (h: number[][], v: number[]) => h.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
const exactHvp =
  (h: number[][], like: Tree): Hvp =>
  (v) =>
    treeLike(like, matVec(h, flat(v)));
/** ∇ of ½pᵀHp − cᵀp (+ Σ a·p⁴/4 when `quartic`). */
const gradOf = (h: number[][], c: number[], quartic?: number[]) => (p: Tree) => {
  const x = flat(p);
  const g = matVec(h, x).map((y, i) => y - c[i]! + (quartic ? quartic[i]! * x[i]! ** 3 : 0));
  return treeLike(p, g);
};

const SPECTRUM = [10, -6, 5, 4, 3, 2, 1, 0.5, 0.25, -0.5, -1, 0.1];
const TRACE = SPECTRUM.reduce((s, x) => s + x, 0); // 18.35
const P0 = Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
const C = Array.from({ length: 12 }, (_, i) => Math.cos(3 * i));

describe("hessianTrace (Hutchinson, Rademacher probes)", () => {
  it("is exact on a diagonal Hessian from any number of probes (zero variance)", () => {
    const d = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8].map((x, i) => (i % 3 === 0 ? -x : x));
    const params = paramsOf(P0);
    const hvp: Hvp = (v) =>
      treeLike(
        params,
        flat(v).map((x, i) => d[i]! * x),
      );
    const r = hessianTrace(hvp, params, { samples: 3, seed: 1 });
    expect(r.trace).toBeCloseTo(
      d.reduce((s, x) => s + x, 0),
      12,
    );
    expect(r.stderr).toBe(0);
    expect(r.samples).toBe(3);
    expect(hessianTrace(hvp, params, { samples: 1 }).stderr).toBeNull();
    const top = topEigenvalue(hvp, params, { tol: 1e-12, iterations: 500 });
    expect(top.converged).toBe(true);
    expect(top.eigenvalue).toBeCloseTo(9, 9); // the largest magnitude
  });

  it("on a rotated dense Hessian: error and reported stderr match the known variance 2·Σ_{i≠j} H_ij²", () => {
    const h = rotated(SPECTRUM, 7);
    const params = paramsOf(P0);
    const offDiag = h.reduce((s, row, i) => s + row.reduce((t, x, j) => t + (i === j ? 0 : x * x), 0), 0);
    const sigma = Math.sqrt(2 * offDiag); // per probe
    const samples = 4000;
    const r = hessianTrace(exactHvp(h, params), params, { samples, seed: 3 });
    const se = sigma / Math.sqrt(samples);
    // 4 standard errors: a correct estimator fails this for fewer than 1 seed in 15,000
    expect(Math.abs(r.trace - TRACE)).toBeLessThan(4 * se);
    // the sample standard deviation of 4000 probes estimates σ to a few per cent
    expect(r.stderr! / se).toBeGreaterThan(0.9);
    expect(r.stderr! / se).toBeLessThan(1.1);
    // over 200 seeds of 50 probes, the errors in units of σ/√50 have mean ≈ 0 and spread ≈ 1
    const z = Array.from({ length: 200 }, (_, seed) => {
      const t = hessianTrace(exactHvp(h, params), params, { samples: 50, seed: 100 + seed }).trace;
      return (t - TRACE) / (sigma / Math.sqrt(50));
    });
    const mean = z.reduce((s, x) => s + x, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, x) => s + (x - mean) ** 2, 0) / (z.length - 1));
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(200));
    expect(sd).toBeGreaterThan(0.8);
    expect(sd).toBeLessThan(1.2);
    // deterministic in the seed
    expect(hessianTrace(exactHvp(h, params), params, { samples: 50, seed: 3 })).toEqual(
      hessianTrace(exactHvp(h, params), params, { samples: 50, seed: 3 }),
    );
    expect(hessianTrace(exactHvp(h, params), params, { samples: 50, seed: 4 }).trace).not.toBe(
      hessianTrace(exactHvp(h, params), params, { samples: 50, seed: 3 }).trace,
    );
  });

  it("checks its arguments and the hvp's answer", () => {
    const params = paramsOf(P0);
    expect(() => hessianTrace((v) => v, params, { samples: 0 })).toThrow(
      "hessianTrace: samples = 0 is outside the allowed range [1, inf)",
    );
    expect(() => hessianTrace(() => ({ a: new Float64Array(5) }), params)).toThrow(
      /hessianTrace: hvp's result and params differ/,
    );
  });
});

describe("topEigenvalue (power iteration)", () => {
  it("finds the largest-magnitude eigenvalue of a rotated dense Hessian, here negative", () => {
    const spectrum = SPECTRUM.map((x) => (x === 10 ? -12 : x));
    const h = rotated(spectrum, 8);
    const params = paramsOf(P0);
    const r = topEigenvalue(exactHvp(h, params), params, { tol: 1e-13, iterations: 1000 });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.eigenvalue + 12)).toBeLessThan(1e-9);
    // the vector is the eigenvector: H·v = λ·v
    const v = flat(r.vector);
    const hv = matVec(h, v);
    expect(Math.max(...hv.map((x, i) => Math.abs(x + 12 * v[i]!)))).toBeLessThan(1e-5);
    const capped = topEigenvalue(exactHvp(h, params), params, { iterations: 3, tol: 0 });
    expect([capped.iterations, capped.converged]).toEqual([3, false]);
  });
});

describe("finiteDifferenceHvp (central differences, ε = ∛u·(1 + ‖p‖)/‖v‖)", () => {
  it("float64, quadratic: equals the exact hvp to rounding", () => {
    const h = rotated(SPECTRUM, 7);
    const params = paramsOf(P0);
    const fd = finiteDifferenceHvp(gradOf(h, C), params);
    const exact = hessianTrace(exactHvp(h, params), params, { samples: 200, seed: 5 });
    const approx = hessianTrace(fd, params, { samples: 200, seed: 5 });
    expect(Math.abs(approx.trace - exact.trace) / Math.abs(exact.trace)).toBeLessThan(1e-8);
    const top = topEigenvalue(fd, params, { tol: 1e-12, iterations: 500 });
    expect(Math.abs(top.eigenvalue - 10) / 10).toBeLessThan(1e-8);
    // the params were not touched
    expect(flat(params)).toEqual(P0);
  });

  it("float64, non-quadratic (a quartic term): the truncation error stays below 1e-8", () => {
    const h = rotated(SPECTRUM, 7);
    const a = Array.from({ length: 12 }, (_, i) => 0.5 + (i % 4));
    const params = paramsOf(P0);
    // exact Hessian: H + diag(3·a·p²)
    const full = h.map((row, i) => row.map((x, j) => x + (i === j ? 3 * a[i]! * P0[i]! ** 2 : 0)));
    const fd = finiteDifferenceHvp(gradOf(h, C, a), params);
    const exact = hessianTrace(exactHvp(full, params), params, { samples: 100, seed: 6 });
    const approx = hessianTrace(fd, params, { samples: 100, seed: 6 });
    expect(Math.abs(approx.trace - exact.trace) / Math.abs(exact.trace)).toBeLessThan(1e-8);
    // a too-large step shows the truncation error the default step avoids
    const coarse = hessianTrace(finiteDifferenceHvp(gradOf(h, C, a), params, { h: 0.05 }), params, {
      samples: 100,
      seed: 6,
    });
    expect(Math.abs(coarse.trace - exact.trace) / Math.abs(exact.trace)).toBeGreaterThan(1e-5);
  });

  it("float32: within 1e-4 (measured 3e-7 on the trace)", () => {
    const h = rotated(SPECTRUM, 7);
    const params = paramsOf(P0, "float32");
    const g32 = (p: Tree) => mapTree(gradOf(h, C)(p), (d) => Float32Array.from(d));
    const exact = hessianTrace(exactHvp(h, params), params, { samples: 200, seed: 5 });
    const approx = hessianTrace(finiteDifferenceHvp(g32, params), params, { samples: 200, seed: 5 });
    expect(Math.abs(approx.trace - exact.trace) / Math.abs(exact.trace)).toBeLessThan(1e-4);
    const top = topEigenvalue(finiteDifferenceHvp(g32, params), params, { tol: 1e-6, iterations: 500 });
    expect(Math.abs(top.eigenvalue - 10) / 10).toBeLessThan(1e-4);
  });
});
