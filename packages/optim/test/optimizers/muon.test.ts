/**
 * Muon against torch.optim.Muon (PyTorch 2.9) by hand, the singular values its Newton–Schulz step
 * produces, and the routing of non-matrix leaves to AdamW.
 */
import {
  adamw,
  createOptimizer,
  type Dtype,
  type FloatArray,
  muon,
  NS_COEFFICIENTS,
  newtonSchulz,
  scaleByMuon,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomArray, randomTree, rng, snapshot } from "../helpers.ts";

type Matrix = number[][];
const matrix = (data: ArrayLike<number>, rows: number, cols: number): Matrix =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[i * cols + j]!));
const T = (a: Matrix): Matrix => a[0]!.map((_, j) => a.map((row) => row[j]!));
const matmul = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const add = (a: Matrix, b: Matrix, alpha: number, beta: number): Matrix =>
  a.map((row, i) => row.map((x, j) => alpha * x + beta * b[i]![j]!));

/** `_zeropower_via_newtonschulz`, line for line (in float64 instead of bfloat16). */
function zeropowerByHand(grad: Matrix, [a, b, c]: readonly number[], nsSteps: number, eps: number): Matrix {
  let orthoGrad = grad.map((r) => r.slice());
  const tall = grad.length > grad[0]!.length;
  if (tall) orthoGrad = T(orthoGrad);
  const norm = Math.sqrt(orthoGrad.flat().reduce((s, x) => s + x * x, 0));
  orthoGrad = orthoGrad.map((r) => r.map((x) => x / Math.max(norm, eps)));
  for (let step = 0; step < nsSteps; step++) {
    const gramMatrix = matmul(orthoGrad, T(orthoGrad));
    const gramUpdate = add(gramMatrix, matmul(gramMatrix, gramMatrix), b!, c!);
    orthoGrad = add(orthoGrad, matmul(gramUpdate, orthoGrad), a!, 1);
  }
  return tall ? T(orthoGrad) : orthoGrad;
}

/** `_single_tensor_muon` for one [A, B] param over several steps; returns θ after each. */
function muonByHand(
  theta0: Matrix,
  grads: Matrix[],
  o: {
    lr: number;
    weightDecay: number;
    momentum: number;
    nesterov: boolean;
    adjust: "original" | "match_rms_adamw";
  },
): Matrix[] {
  let param = theta0.map((r) => r.slice());
  let buf = param.map((r) => r.map(() => 0));
  const [A, B] = [param.length, param[0]!.length];
  const out: Matrix[] = [];
  for (const grad of grads) {
    buf = add(buf, grad, o.momentum, 1 - o.momentum); // buf.lerp_(grad, 1 − momentum)
    const update = o.nesterov ? add(grad, buf, 1 - o.momentum, o.momentum) : buf; // grad.lerp(buf, momentum)
    const ortho = zeropowerByHand(update, NS_COEFFICIENTS, 5, 1e-7);
    const ratio = o.adjust === "original" ? Math.sqrt(Math.max(1, A / B)) : 0.2 * Math.sqrt(Math.max(A, B));
    const adjustedLr = o.lr * ratio;
    param = add(param, ortho, 1 - o.lr * o.weightDecay, -adjustedLr);
    out.push(param.map((r) => r.slice()));
  }
  return out;
}

const arr = (dtype: Dtype, xs: number[]) =>
  dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);

describe("muon: single steps by hand (torch.optim.Muon)", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const [rows, cols] of [
      [2, 3],
      [3, 2],
    ] as const) {
      for (const o of [
        { lr: 0.02, weightDecay: 0.1, momentum: 0.95, nesterov: true, adjust: "original" as const },
        { lr: 0.1, weightDecay: 0, momentum: 0.8, nesterov: false, adjust: "match_rms_adamw" as const },
      ]) {
        it(`[${rows}, ${cols}], three steps, ${JSON.stringify(o)} (${dtype})`, () => {
          const next = rng(rows * 10 + cols);
          const theta0 = Array.from(randomArray("float64", rows * cols, next));
          const grads = [0, 1, 2].map(() => Array.from(randomArray("float64", rows * cols, next)));
          const expected = muonByHand(
            matrix(theta0, rows, cols),
            grads.map((g) => matrix(g, rows, cols)),
            o,
          );
          const params = { w: { data: arr(dtype, theta0), shape: [rows, cols] } };
          const opt = createOptimizer(
            muon({
              lr: o.lr,
              weightDecay: o.weightDecay,
              momentum: o.momentum,
              nesterov: o.nesterov,
              adjustLrFn: o.adjust === "original" ? null : o.adjust,
            }),
            params,
          );
          grads.forEach((g, t) => {
            opt.step({ w: { data: arr(dtype, g), shape: [rows, cols] } });
            expect(matrix(params.w.data, rows, cols).flat()).toEqual(
              expected[t]!.flat().map((x) => expect.closeTo(x, dtype === "float64" ? 13 : 5)),
            );
          });
        });
      }
    }
  }
});

// ---- singular values ---------------------------------------------------------------------------

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (float64). */
function symmetricEigenvalues(a0: Matrix): number[] {
  const a = a0.map((r) => r.slice());
  const n = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (apq === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [akp, akq] = [a[k]![p]!, a[k]![q]!];
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const [apk, aqk] = [a[p]![k]!, a[q]![k]!];
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]!);
}

/** Singular values (ascending) of a row-major [rows, cols] matrix: √eig of the smaller Gram matrix. */
function singularValues(data: ArrayLike<number>, rows: number, cols: number): number[] {
  const m = matrix(data, rows, cols);
  const gram = rows <= cols ? matmul(m, T(m)) : matmul(T(m), m);
  return symmetricEigenvalues(gram)
    .map((x) => Math.sqrt(Math.max(x, 0)))
    .sort((x, y) => x - y);
}

const [a, b, c] = NS_COEFFICIENTS;
const p5 = (s: number) => {
  for (let i = 0; i < 5; i++) s = a * s + b * s ** 3 + c * s ** 5;
  return s;
};

/**
 * The band, measured: sampling σ densely over [0.002, 1], p⁵(σ) spans [0.6818, 1.2024]; random
 * matrices below reach [0.6818, 1.1892]. Asserted: [0.68, 1.21] for every singular value whose
 * input σ/‖G‖_F is at least 0.002 (p⁵ reaches 0.68 from σ ≈ 0.0015 on).
 */
const BAND = [0.68, 1.21] as const;
const SHAPES: [number, number][] = [
  [4, 7],
  [7, 4],
  [16, 16],
  [3, 20],
  [20, 3],
  [12, 30],
  [30, 12],
  [1, 5],
  [5, 1],
];

describe("muon: singular values of the orthogonalized update", () => {
  it("the sampled band of p⁵ over [0.002, 1] is [0.6818, 1.2024], inside the asserted band", () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k <= 100_000; k++) {
      const y = p5(0.002 * 500 ** (k / 100_000));
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
    expect(lo).toBeCloseTo(0.6818, 4);
    expect(hi).toBeCloseTo(1.2024, 4);
    expect(lo).toBeGreaterThanOrEqual(BAND[0]);
    expect(hi).toBeLessThanOrEqual(BAND[1]);
  });
  for (const dtype of ["float64", "float32"] as const) {
    it(`random matrices, tall and wide (${dtype}): every σ is p⁵(σ_in/‖G‖) and lies in the band`, () => {
      let checked = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const [rows, cols] of SHAPES) {
        for (let seed = 0; seed < 8; seed++) {
          const g = randomArray(dtype, rows * cols, rng(1000 * seed + 10 * rows + cols));
          const norm = Math.sqrt(Array.from(g).reduce((s, x) => s + x * x, 0));
          const inputs = singularValues(g, rows, cols).map((s) => s / norm);
          const out = singularValues(newtonSchulz(g, rows, cols), rows, cols);
          const predicted = inputs.map(p5).sort((x, y) => x - y);
          out.forEach((s, i) => {
            expect(Math.abs(s - predicted[i]!)).toBeLessThan(dtype === "float64" ? 1e-10 : 2e-5);
          });
          if (inputs[0]! < 0.002) continue; // too close to rank-deficient for 5 steps
          for (const s of out) {
            expect(s).toBeGreaterThanOrEqual(BAND[0]);
            expect(s).toBeLessThanOrEqual(BAND[1]);
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(60);
      expect(lo).toBeLessThan(0.7); // the band is used, not just its middle
      expect(hi).toBeGreaterThan(1.15);
    });
  }
  it("a singular value far below 0.002·‖G‖ does not reach the band in five steps", () => {
    // G = diag(1, 1e-4) rotated: p⁵(1e-4/‖G‖) ≈ 0.05
    const [cs, sn] = [Math.cos(0.3), Math.sin(0.3)];
    const g = Float64Array.from([cs * 1, -sn * 1e-4, sn * 1, cs * 1e-4]);
    const out = singularValues(newtonSchulz(g, 2, 2), 2, 2);
    expect(out[0]).toBeLessThan(0.1);
    expect(out[0]).toBeCloseTo(p5(1e-4 / Math.hypot(1, 1e-4)), 10);
    expect(out[1]).toBeGreaterThanOrEqual(BAND[0]);
  });
  it("more steps or other coefficients change the result as the polynomial says", () => {
    const g = randomArray("float64", 12, rng(5));
    const sIn = singularValues(g, 3, 4);
    const norm = Math.sqrt(Array.from(g).reduce((s, x) => s + x * x, 0));
    // the cubic (1.5, −0.5, 0) iteration converges to exactly 1 (slowly)
    const cubic = singularValues(newtonSchulz(g, 3, 4, { coefficients: [1.5, -0.5, 0], steps: 60 }), 3, 4);
    for (const s of cubic) expect(s).toBeCloseTo(1, 8);
    const none = singularValues(newtonSchulz(g, 3, 4, { steps: 0 }), 3, 4);
    none.forEach((s, i) => {
      expect(s).toBeCloseTo(sIn[i]! / norm, 12);
    });
  });
});

// ---- routing ---------------------------------------------------------------------------------

describe("muon: non-matrix leaves go to AdamW", () => {
  it("2-D leaves train with Muon, every other leaf exactly as adamw({ lr, ...adamw }) alone", () => {
    const params = randomTree("float64", 4) as Record<string, Tree>; // dense.weight is [3, 4]
    const opt = createOptimizer(muon({ lr: 0.02, adamw: { weightDecay: 0.05, betas: [0.8, 0.99] } }), params);
    const others = {
      "blocks.0": (params.blocks as FloatArray[])[0]!.slice(),
      "blocks.1": (params.blocks as FloatArray[])[1]!.slice(),
      "dense.bias": (params.dense as { bias: FloatArray }).bias.slice(),
      gain: (params.gain as FloatArray).slice(),
    };
    const weight = {
      w: { data: (params.dense as { weight: { data: FloatArray } }).weight.data.slice(), shape: [3, 4] },
    };
    // On the chain, as partition runs it (float64 would otherwise take the WASM kernel)
    const oa = createOptimizer(adamw({ lr: 0.02, weightDecay: 0.05, betas: [0.8, 0.99] }), others, {
      kernel: "reference",
    });
    const om = createOptimizer(muon({ lr: 0.02 }), weight);
    const grads = quadraticGrads("float64", 5);
    for (let t = 0; t < 10; t++) {
      const g = grads(params) as Record<string, Tree>;
      opt.step(g);
      const gd = g.dense as { bias: FloatArray; weight: { data: FloatArray } };
      oa.step({
        "blocks.0": (g.blocks as FloatArray[])[0]!,
        "blocks.1": (g.blocks as FloatArray[])[1]!,
        "dense.bias": gd.bias,
        gain: g.gain as FloatArray,
      });
      om.step({ w: { data: gd.weight.data, shape: [3, 4] } });
    }
    expect(snapshot(params)).toEqual(
      [others["blocks.0"], others["blocks.1"], others["dense.bias"], weight.w.data, others.gain].map((x) =>
        Array.from(x),
      ),
    );
  });
  it("muonMask chooses the Muon leaves (a predicate or a tree); mask is the decay mask of both groups", () => {
    const make = () => ({
      embed: { data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2] },
      hidden: { data: Float64Array.from([1, -1, 2, 0.5]), shape: [2, 2] },
    });
    const g = {
      embed: { data: Float64Array.from([0.1, 0.2, 0.3, 0.4]), shape: [2, 2] },
      hidden: make().hidden,
    };
    const viaTree = make();
    createOptimizer(muon({ muonMask: { embed: false, hidden: true } }), viaTree).step(g);
    const viaFn = make();
    createOptimizer(muon({ muonMask: (path) => path === "hidden" }), viaFn).step(g);
    expect(viaTree).toEqual(viaFn);
    const adam = { embed: make().embed.data };
    createOptimizer(adamw(), adam).step({ embed: g.embed.data });
    expect(Array.from(viaTree.embed.data)).toEqual(Array.from(adam.embed));
    // `mask` is the decay mask of both groups (adamw's unless adamw.mask is given): with zero
    // gradients only decay can move a leaf
    const still = { ...make(), bias: Float64Array.from([1, 1]) };
    const zero = {
      embed: { data: new Float64Array(4), shape: [2, 2] },
      hidden: { data: new Float64Array(4), shape: [2, 2] },
      bias: new Float64Array(2),
    };
    createOptimizer(muon({ mask: (path) => path === "embed" }), still).step(zero);
    expect(Array.from(still.bias)).toEqual([1, 1]); // AdamW group: not decayed
    expect(Array.from(still.hidden.data)).toEqual(Array.from(make().hidden.data)); // Muon group: not decayed
    expect(Array.from(still.embed.data)).toEqual(
      [1, 2, 3, 4].map((x) => expect.closeTo(x * (1 - 1e-3 * 0.1), 14)),
    );
    const own = { ...make(), bias: Float64Array.from([1, 1]) };
    createOptimizer(muon({ mask: () => false, adamw: { mask: () => true } }), own).step(zero);
    expect(Array.from(own.bias)).toEqual([1, 1].map((x) => expect.closeTo(x * (1 - 1e-3 * 0.01), 14)));
  });
  it("scaleByMuon refuses a vector leaf (and so does muon when muonMask selects one)", () => {
    const params = { b: Float64Array.from([1, 2]) };
    expect(() => createOptimizer(scaleByMuon(), params)).toThrow(
      /scaleByMuon: leaf 'b' has shape \[2\]; Muon orthogonalizes only leaves of 2 or more dims/,
    );
    expect(() => createOptimizer(muon({ muonMask: () => true }), params)).toThrow(
      /muon: leaf 'b' has shape \[2\]/,
    );
    expect(() => createOptimizer(muon(), params)).not.toThrow(); // default: to AdamW
    expect(() => muon({ outputAxis: "middle" as never })).toThrow(
      'muon: outputAxis must be "first" or "last"',
    );
  });
  it("N-D leaves (convolutions) are the matrix their output axis gives: PyTorch's [out, in, kh, kw] flattened to [out, in·kh·kw]", () => {
    // a [2, 3, 2, 2] filter bank steps exactly as the same numbers given as a [2, 12] matrix
    const data = Float64Array.from({ length: 24 }, (_, i) => Math.sin(i + 1));
    const grad = Float64Array.from({ length: 24 }, (_, i) => Math.cos(3 * i));
    const conv = { k: { data: data.slice(), shape: [2, 3, 2, 2] } };
    const flat = { k: { data: data.slice(), shape: [2, 12] } };
    const a = createOptimizer(muon({ lr: 0.05, weightDecay: 0 }), conv);
    const b = createOptimizer(muon({ lr: 0.05, weightDecay: 0 }), flat);
    for (let t = 0; t < 3; t++) {
      a.step({ k: { data: grad, shape: [2, 3, 2, 2] } });
      b.step({ k: { data: grad, shape: [2, 12] } });
    }
    expect(Array.from(conv.k.data)).toEqual(Array.from(flat.k.data));
    expect(Array.from(conv.k.data)).not.toEqual(Array.from(data));
  });
  it('outputAxis "last" (TF.js\'s [kh, kw, in, out]) steps as the transposed PyTorch layout does', () => {
    // PyTorch layout W[o][i] (2 × 6) and the TF.js layout of the same weight, K[i][o] (6 × 2)
    const O = 2;
    const I = 6;
    const w = Float64Array.from({ length: O * I }, (_, j) => Math.sin(j + 0.5));
    const g = Float64Array.from({ length: O * I }, (_, j) => Math.cos(2 * j));
    const t = (x: Float64Array) =>
      Float64Array.from({ length: O * I }, (_, j) => x[(j % O) * I + Math.floor(j / O)]!);
    const torchLayout = { w: { data: w.slice(), shape: [O, I] } };
    const tfjsLayout = { w: { data: t(w), shape: [1, 2, 3, O] } }; // [kh, kw, in, out], in·kh·kw = 6
    const a = createOptimizer(muon({ lr: 0.05, weightDecay: 0.1 }), torchLayout);
    const b = createOptimizer(muon({ lr: 0.05, weightDecay: 0.1, outputAxis: "last" }), tfjsLayout);
    for (let k = 0; k < 3; k++) {
      a.step({ w: { data: g, shape: [O, I] } });
      b.step({ w: { data: t(g), shape: [1, 2, 3, O] } });
    }
    const back = t(torchLayout.w.data);
    for (let j = 0; j < O * I; j++) expect(tfjsLayout.w.data[j]).toBeCloseTo(back[j]!, 12);
  });
  it("a zero gradient gives a zero update (the norm is floored by eps), and only decay acts", () => {
    const params = { w: { data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] } };
    createOptimizer(muon({ lr: 0.1, weightDecay: 0.5 }), params).step({
      w: { data: new Float64Array(6), shape: [2, 3] },
    });
    expect(Array.from(params.w.data)).toEqual(
      [1, 2, 3, 4, 5, 6].map((x) => expect.closeTo(x * (1 - 0.05), 14)),
    );
  });
});
