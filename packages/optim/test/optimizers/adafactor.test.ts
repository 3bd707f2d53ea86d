/** Adafactor against torch.optim.Adafactor's published pseudo-code (PyTorch ≥ 2.5), by hand. */
import {
  adafactor,
  createOptimizer,
  type Dtype,
  type ScaleByFactoredRmsState,
  scaleByFactoredRms,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

const arr = (dtype: Dtype, xs: number[]) =>
  dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);
const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

interface Options {
  lr: number;
  tau: number;
  eps1: number;
  eps2: number;
  d: number;
  lambda: number;
}

/**
 * The pseudo-code, for one leaf, over several steps: `shape` [n] (vector) or [rows, cols] (matrix).
 * Returns θ after each step.
 */
function adafactorByHand(theta0: number[], shape: number[], grads: number[][], o: Options): number[][] {
  let theta = theta0.slice();
  const n = shape[0]!;
  const m = shape.length === 2 ? shape[1]! : 1;
  let R = new Array(n).fill(0); // row factor (matrices)
  let C = new Array(m).fill(0); // col factor (matrices)
  let Vvec = new Array(theta.length).fill(0); // vectors
  const out: number[][] = [];
  grads.forEach((G, k) => {
    const t = k + 1;
    const betaHat2 = 1 - t ** o.tau;
    const rho = Math.min(o.lr, 1 / Math.sqrt(t));
    const alpha = Math.max(o.eps2, rms(theta)) * rho;
    theta = theta.map((x) => x - o.lr * o.lambda * x);
    let Vhat: number[];
    if (shape.length === 2) {
      const sq = (i: number, j: number) => G[i * m + j]! ** 2;
      // mean instead of sum, as PyTorch notes
      R = R.map(
        (r, i) => betaHat2 * r + (1 - betaHat2) * mean(Array.from({ length: m }, (_, j) => sq(i, j))),
      );
      C = C.map(
        (c, j) => betaHat2 * c + (1 - betaHat2) * mean(Array.from({ length: n }, (_, i) => sq(i, j))),
      );
      const rowSum = Math.max(mean(R), o.eps1);
      Vhat = G.map((_, idx) => (R[Math.floor(idx / m)]! * C[idx % m]!) / rowSum);
    } else {
      Vvec = Vvec.map((v, i) => betaHat2 * v + (1 - betaHat2) * G[i]! ** 2);
      Vhat = Vvec;
    }
    const U = G.map((g, i) => g / Math.max(Math.sqrt(Vhat[i]!), o.eps1));
    const Uhat = U.map((u) => u / Math.max(1, rms(U) / o.d));
    theta = theta.map((x, i) => x - alpha * Uhat[i]!);
    out.push(theta.slice());
  });
  return out;
}

const W0 = [0.5, -0.3, 0.8, 0.1, -0.6, 0.2]; // [2, 3]
const B0 = [0.05, -0.02];
const GW = [
  [0.3, -0.1, 0.2, 0.05, 0.4, -0.3],
  [-0.2, 0.6, 0.1, -0.4, 0.02, 0.3],
  [2, -0.1, 0.05, 0.3, -0.2, 0.1], // a spike: the update is clipped
];
const GB = [
  [0.1, -0.2],
  [0.05, 0.3],
  [-3, 0.01],
];

describe("adafactor: single steps by hand", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const o of [
      { lr: 1e-2, tau: -0.8, eps1: dtype === "float32" ? 2 ** -23 : 2 ** -52, eps2: 1e-3, d: 1, lambda: 0 },
      { lr: 0.5, tau: -0.5, eps1: 1e-3, eps2: 0.5, d: 1.5, lambda: 0.2 },
    ]) {
      it(`a [2, 3] matrix and a vector, three steps, ${JSON.stringify(o)} (${dtype})`, () => {
        const w = adafactorByHand(W0, [2, 3], GW, o);
        const b = adafactorByHand(B0, [2], GB, o);
        const params = { w: { data: arr(dtype, W0), shape: [2, 3] }, b: arr(dtype, B0) };
        const opt = createOptimizer(
          adafactor({
            lr: o.lr,
            beta2Decay: o.tau,
            eps: [o.eps1 === 2 ** -23 || o.eps1 === 2 ** -52 ? null : o.eps1, o.eps2],
            d: o.d,
            weightDecay: o.lambda,
          }),
          params,
        );
        for (let t = 0; t < 3; t++) {
          opt.step({ w: { data: arr(dtype, GW[t]!), shape: [2, 3] }, b: arr(dtype, GB[t]!) });
          const digits = dtype === "float64" ? 14 : 6;
          Array.from(params.w.data).forEach((x, i) => {
            expect(x).toBeCloseTo(w[t]![i]!, digits);
          });
          Array.from(params.b).forEach((x, i) => {
            expect(x).toBeCloseTo(b[t]![i]!, digits);
          });
        }
      });
    }
  }
  it("a plain typed array is a vector: not factored", () => {
    const params = { w: Float64Array.from(W0) };
    createOptimizer(adafactor(), params).step({ w: Float64Array.from(GW[0]!) });
    const [expected] = adafactorByHand(W0, [6], [GW[0]!], {
      lr: 1e-2,
      tau: -0.8,
      eps1: 2 ** -52,
      eps2: 1e-3,
      d: 1,
      lambda: 0,
    });
    expect(Array.from(params.w)).toEqual(expected!.map((x) => expect.closeTo(x, 15)));
  });
});

describe("adafactor: memory", () => {
  it("an [r, c] matrix keeps r + c second-moment values, not r·c; a [b, r, c] leaf b·(r + c)", () => {
    const params: Tree = {
      matrix: { data: new Float32Array(64 * 48), shape: [64, 48] },
      conv: { data: new Float32Array(4 * 8 * 9), shape: [4, 8, 9] },
      bias: new Float32Array(64),
    };
    const opt = createOptimizer(adafactor(), params);
    const s = (opt.state as unknown[]).find(
      (x): x is ScaleByFactoredRmsState => !!x && typeof x === "object" && "rowVar" in x,
    )!;
    // leaf order: bias, conv, matrix
    expect(s.rowVar.map((a) => a.length)).toEqual([0, 4 * 8, 64]);
    expect(s.colVar.map((a) => a.length)).toEqual([0, 4 * 9, 48]);
    expect(s.variance.map((a) => a.length)).toEqual([64, 0, 0]);
    const total = [...s.rowVar, ...s.colVar, ...s.variance].reduce((n, a) => n + a.length, 0);
    expect(total).toBe(64 + 4 * (8 + 9) + (64 + 48));
    opt.step({
      matrix: { data: new Float32Array(64 * 48).fill(0.1), shape: [64, 48] },
      conv: { data: new Float32Array(4 * 8 * 9).fill(-0.2), shape: [4, 8, 9] },
      bias: new Float32Array(64).fill(0.3),
    });
    expect(s.rowVar[2]![0]).toBeCloseTo(0.01, 8);
  });
  it("each trailing matrix of a [b, r, c] leaf is factored on its own", () => {
    const tx = scaleByFactoredRms();
    const params = { k: { data: new Float64Array(2 * 2 * 2), shape: [2, 2, 2] } };
    const state = tx.init(params);
    // block 0 has gradient 1 everywhere, block 1 has 10: if the blocks were mixed, U would not be ±1
    const g = { k: { data: Float64Array.from([1, 1, 1, 1, 10, 10, 10, 10]), shape: [2, 2, 2] } };
    const u = tx.update(g, state, params) as { k: { data: Float64Array } };
    expect(Array.from(u.k.data)).toEqual([1, 1, 1, 1, 1, 1, 1, 1].map((x) => expect.closeTo(x, 14)));
    expect(Array.from(state.rowVar[0]!)).toEqual([1, 1, 100, 100]);
  });
});

describe("adafactor: relative step and update clipping", () => {
  it("the step is max(ε2, RMS(θ))·min(lr, 1/√t): relative to the weights, at least ε2, capped by lr", () => {
    for (const [theta, lr] of [
      [[0, 0, 0, 0], 1], // zero weights: steps of ε2·ρ_t
      [[2, -2, 2, -2], 1], // RMS 2, ρ_t = 1/√t
      [[2, -2, 2, -2], 0.01], // ρ_t = lr = 0.01 for t ≤ 10⁴
    ] as const) {
      const params = { w: Float64Array.from(theta) };
      const opt = createOptimizer(adafactor({ lr }), params);
      for (let t = 1; t <= 4; t++) {
        const before = Array.from(params.w);
        opt.step({ w: Float64Array.from([1, -1, 1, -1]) }); // V̂ = g², so U = sign(g), RMS(U) = 1
        const expected = Math.max(1e-3, rms(before)) * Math.min(lr, 1 / Math.sqrt(t));
        Array.from(params.w).forEach((x, i) => {
          expect(Math.abs(x - before[i]!)).toBeCloseTo(expected, 14);
        });
      }
    }
  });
  it("update clipping: RMS(Û) = d when RMS(U) > d, and Û = U otherwise", () => {
    const step = (d: number) => {
      const params = { w: Float64Array.from([10, 10, 10, 10]) };
      const opt = createOptimizer(adafactor({ lr: 1, d, eps: [null, 1e-3] }), params);
      opt.step({ w: Float64Array.from([0.01, 0.01, 0.01, 0.01]) });
      const before = Array.from(params.w);
      opt.step({ w: Float64Array.from([1, 1, 1, 1]) }); // a jump: V̂ lags behind, U ≈ 1/√(1 − β̂2) > 1
      const alpha = Math.max(1e-3, rms(before)) * Math.min(1, 1 / Math.sqrt(2));
      return Array.from(params.w).map((x, i) => (before[i]! - x) / alpha); // Û
    };
    const w2 = 2 ** -0.8; // 1 − β̂2 at t = 2
    const v = (1 - w2) * 1e-4 + w2 * 1;
    const U = 1 / Math.sqrt(v);
    expect(U).toBeGreaterThan(1);
    for (const x of step(1)) expect(x).toBeCloseTo(1, 14); // clipped to RMS d = 1
    for (const x of step(1.1)) expect(x).toBeCloseTo(1.1, 14);
    for (const x of step(10)) expect(x).toBeCloseTo(U, 14); // below the threshold: untouched
  });
  it("scheduled lr and weight decay: θ·(1 − lr_t·λ_t) before the step", () => {
    const params = { w: Float64Array.from([4, 4]) };
    const lrs = [0.1, 0.05];
    const wds = [0.5, 1];
    const opt = createOptimizer(adafactor({ lr: (c) => lrs[c]!, weightDecay: (c) => wds[c]! }), params);
    let theta = 4;
    for (let t = 1; t <= 2; t++) {
      const alpha = Math.max(1e-3, theta) * Math.min(lrs[t - 1]!, 1 / Math.sqrt(t));
      theta = theta * (1 - lrs[t - 1]! * wds[t - 1]!) - alpha; // gradient +1: U = 1
      opt.step({ w: Float64Array.from([1, 1]) });
    }
    expect(params.w[0]).toBeCloseTo(theta, 14);
  });
});
