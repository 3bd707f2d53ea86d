/** SOAP (its numerics against the authors' code are in golden/soap.golden.test.ts). */
import { adam, createOptimizer, soap } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { mergedDims } from "../../src/transforms/scale-by-soap.ts";
import { randomTree, snapshot, trainWithResume } from "../helpers.ts";

/** A seeded stream of numbers in [−1, 1). */
function stream(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (2 * s) / 2 ** 31 - 1;
  };
}

describe("soap", () => {
  it("merges dimensions as the authors' merge_dims does", () => {
    expect(mergedDims([3, 4], 10000)).toEqual([12]);
    expect(mergedDims([64, 3, 3, 3], 100)).toEqual([64, 27]);
    expect(mergedDims([200, 5], 100)).toEqual([200, 5]);
    expect(mergedDims([5, 200, 2], 100)).toEqual([5, 200, 2]);
  });

  it("the first update only builds the preconditioners; the params do not move", () => {
    const params = randomTree("float64", 1);
    const before = snapshot(params);
    const opt = createOptimizer(soap(), params);
    opt.step(randomTree("float64", 2));
    expect(snapshot(params)).toEqual(before);
    opt.step(randomTree("float64", 3));
    expect(snapshot(params)).not.toEqual(before);
  });

  it("a leaf with no preconditioner is Adam from the second gradient on (decay 0, ε 0: SOAP adds ε before the bias correction)", () => {
    const w = new Float64Array(6).fill(0.5);
    const ref = new Float64Array(6).fill(0.5);
    const a = createOptimizer(soap({ lr: 0.01, betas: [0.9, 0.99], weightDecay: 0, eps: 0 }), { w });
    const b = createOptimizer(adam({ lr: 0.01, betas: [0.9, 0.99], eps: 0 }), { w: ref });
    const next = stream(3);
    for (let t = 0; t < 30; t++) {
      const g = Float64Array.from({ length: 6 }, () => next());
      a.step({ w: g });
      if (t > 0) b.step({ w: g });
    }
    for (let j = 0; j < 6; j++) expect(w[j]).toBeCloseTo(ref[j]!, 14);
  });

  it("channels-last 4-D leaves, merged, step as their channels-first transpose does", () => {
    const [n, h, w, c] = [2, 3, 2, 4];
    const nhwc = Float64Array.from({ length: n * h * w * c }, stream(5));
    const at = (a: number, y: number, z: number, k: number) => ((a * h + y) * w + z) * c + k;
    const nchwAt = (a: number, y: number, z: number, k: number) => ((a * c + k) * h + y) * w + z;
    const toNchw = (x: Float64Array) => {
      const out = new Float64Array(x.length);
      for (let a = 0; a < n; a++)
        for (let y = 0; y < h; y++)
          for (let z = 0; z < w; z++)
            for (let k = 0; k < c; k++) out[nchwAt(a, y, z, k)] = x[at(a, y, z, k)]!;
      return out;
    };
    const last = { k: { data: Float64Array.from(nhwc), shape: [n, h, w, c] } };
    const first = { k: { data: toNchw(nhwc), shape: [n, c, h, w] } };
    const options = { mergeDims: true, maxPrecondDim: 8, preconditionFrequency: 3, lr: 0.01 };
    const a = createOptimizer(soap({ ...options, dataFormat: "channels_last" }), last);
    const b = createOptimizer(soap(options), first);
    const next = stream(9);
    for (let t = 0; t < 12; t++) {
      const g = Float64Array.from({ length: nhwc.length }, () => next());
      a.step({ k: { data: g, shape: [n, h, w, c] } });
      b.step({ k: { data: toNchw(g), shape: [n, c, h, w] } });
    }
    const got = toNchw(last.k.data);
    for (let j = 0; j < got.length; j++) expect(got[j]).toBeCloseTo(first.k.data[j]!, 13);
  });

  it("on a rotated ill-conditioned quadratic, preconditioning the 1-D leaf beats Adam's diagonal", () => {
    // H = R·diag(1 … 1000)·Rᵀ for a fixed rotation R (Householder of a seeded vector)
    const d = 8;
    const next = stream(11);
    const u = Float64Array.from({ length: d }, () => next());
    const un = Math.hypot(...u);
    const r = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / (un * un);
    const h = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += r(i, k) * 1000 ** (k / (d - 1)) * r(j, k);
        h[i * d + j] = s;
      }
    const loss = (x: Float64Array) => {
      let s = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) s += 0.5 * x[i]! * h[i * d + j]! * x[j]!;
      return s;
    };
    const train = (tx: ReturnType<typeof soap>) => {
      const x = new Float64Array(d).fill(1);
      const opt = createOptimizer(tx, { x });
      for (let t = 0; t < 300; t++) {
        const g = new Float64Array(d);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g[i]! += h[i * d + j]! * x[j]!;
        opt.step({ x: g });
      }
      return loss(x);
    };
    const options = { lr: 0.01, weightDecay: 0, betas: [0.9, 0.99] as const, preconditionFrequency: 5 };
    const rotated = train(soap({ ...options, precondition1d: true }));
    const diagonal = train(soap(options));
    expect(rotated).toBeLessThan(0.3 * diagonal); // 0.072 against 0.33 measured
  });

  it("refuses a leaf whose shape changed since init, before any write", () => {
    const tx = soap();
    const state = tx.init({ m: { data: new Float64Array(6), shape: [2, 3] } });
    tx.update({ m: new Float64Array(6).fill(1) }, state, { m: { data: new Float64Array(6), shape: [2, 3] } });
    const before = JSON.stringify(state, (_, v) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
    );
    expect(() =>
      tx.update({ m: new Float64Array(6).fill(1) }, state, {
        m: { data: new Float64Array(6), shape: [3, 2] },
      }),
    ).toThrow(/scaleBySoap|soap: leaf 0 has shape \[3, 2\]/);
    expect(JSON.stringify(state, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))).toBe(
      before,
    );
  });

  for (const dtype of ["float32", "float64"] as const) {
    it(`resume is bit-identical, bases and all (${dtype})`, () => {
      const make = () =>
        soap({
          lr: (c: number) => 0.01 / (1 + c / 20),
          preconditionFrequency: 3,
          precondition1d: true,
          weightDecay: 0.05,
        });
      const straight = trainWithResume(make, dtype, 40);
      expect(straight).not.toEqual(snapshot(randomTree(dtype, 11)));
      expect(trainWithResume(make, dtype, 40, 17)).toEqual(straight);
      expect(trainWithResume(make, dtype, 40, 1)).toEqual(straight);
    });
  }
});
