/**
 * L-BFGS's two-loop recursion on WASM against the JavaScript loops, bit for bit: for every tail length
 * (the kernels' scalar tails), both dtypes, any history, and as a history slides through the
 * kernel's slots over many calls; and `createOptimizer` running lbfgs on it by default, with the
 * same trajectory, state dicts and undo as the reference loops.
 */
import fc from "fast-check";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { wasmTwoLoop } from "../../src/kernels/lbfgs-two-loop.ts";
import { jsTwoLoop, type LbfgsPair } from "../../src/transforms/scale-by-lbfgs.ts";
import { rng } from "../helpers.ts";

type F = typeof Float32Array | typeof Float64Array;

function vector(F: F, n: number, next: () => number): Float32Array | Float64Array {
  const v = new F(n);
  for (let i = 0; i < n; i++) v[i] = (next() - 0.5) * 4;
  return v;
}

function pair(F: F, n: number, next: () => number): LbfgsPair {
  const r = F === Float32Array ? Math.fround : (x: number) => x;
  return { s: vector(F, n, next), y: vector(F, n, next), rho: r(0.1 + next()) };
}

const bits = (v: Float32Array | Float64Array) =>
  Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));

describe("the WASM two-loop recursion", () => {
  it("computes the JavaScript loops' bits for every tail length, dtype and history (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<F>(Float32Array, Float64Array),
        fc.integer({ min: 128, max: 141 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (F, n, pairs, seed) => {
          const next = rng(seed);
          const r = F === Float32Array ? Math.fround : (x: number) => x;
          const g = vector(F, n, next);
          const history = Array.from({ length: pairs }, () => pair(F, n, next));
          const hDiag = r(0.5 + next());
          const kernel = wasmTwoLoop();
          kernel.begin();
          const got = kernel.twoLoop(g, history, hDiag, r, new F(n));
          const want = jsTwoLoop.twoLoop(g, history, hDiag, r, new F(n));
          expect(got).toBeInstanceOf(F);
          expect(bits(got)).toEqual(bits(want));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps its copies right as the history slides, and reads it afresh at each step's start", () => {
    for (const F of [Float32Array, Float64Array] as F[]) {
      const next = rng(7);
      const r = F === Float32Array ? Math.fround : (x: number) => x;
      const n = 1027;
      const kernel = wasmTwoLoop();
      let history: LbfgsPair[] = [];
      for (let call = 0; call < 40; call++) {
        if (call % 5 === 0) kernel.begin();
        // the optimizer's ways with its history: push, drop the oldest at 4, start over
        if (call === 23) history = [];
        history.push(pair(F, n, next));
        if (history.length > 4) history.shift();
        // between steps the state may change in place (a state dict loaded into the same arrays)
        if (call % 5 === 0 && call > 0) history[0]!.s.fill(0.25);
        const g = vector(F, n, next);
        const want = jsTwoLoop.twoLoop(g, history, 0.75, r, new F(n));
        const got = kernel.twoLoop(g, history, 0.75, r, new F(n).fill(9));
        expect(bits(got), `${F.name} call ${call}`).toEqual(bits(want));
      }
    }
  });
});

/** A separable quartic over a two-leaf tree: far from quadratic, so the history matters. */
function quartic(F: F, n: number) {
  const next = rng(3);
  const a = vector(F, n, next).map((x) => Math.abs(x) + 0.5);
  const c = vector(F, n, next);
  const params = { u: new F(n - 3), v: new F(3) };
  const grads = { u: new F(n - 3), v: new F(3) };
  const closure = () => {
    let loss = 0;
    const at = (p: Float32Array | Float64Array, g: Float32Array | Float64Array, o: number) => {
      for (let i = 0; i < p.length; i++) {
        const d = p[i]! - c[o + i]!;
        loss += a[o + i]! * (d * d + 0.1 * d ** 4);
        g[i] = a[o + i]! * (2 * d + 0.4 * d ** 3);
      }
    };
    at(params.u, grads.u, 0);
    at(params.v, grads.v, n - 3);
    return { loss, grads };
  };
  return { params, closure };
}

describe("createOptimizer with lbfgs", () => {
  it("runs the two-loop recursion on WASM by default, on the reference loops on request", () => {
    const p = { w: new Float32Array(8) };
    expect(m.createOptimizer(m.lbfgs(), p).kernel).toBe("wasm");
    expect(m.createOptimizer(m.lbfgs(), p, { kernel: "wasm" }).kernel).toBe("wasm");
    expect(m.createOptimizer(m.lbfgs(), p, { kernel: "reference" }).kernel).toBe("reference");
    expect(() => m.createOptimizer(m.lbfgs(), p, { kernel: "js" })).toThrow(
      /js kernel cannot run this: L-BFGS/,
    );
  });

  for (const F of [Float32Array, Float64Array] as F[])
    for (const lineSearchFn of [null, "strong_wolfe"] as const)
      it(`${F.name}, ${lineSearchFn ?? "fixed steps"}: the same trajectory and state as the reference loops, resumable on either`, () => {
        const options = { lr: lineSearchFn ? 1 : 0.05, maxIter: 7, historySize: 5, lineSearchFn };
        const ref = quartic(F, 203);
        const fast = quartic(F, 203);
        const a = m.createOptimizer(m.lbfgs(options), ref.params, { kernel: "reference" });
        const b = m.createOptimizer(m.lbfgs(options), fast.params);
        expect(b.kernel).toBe("wasm");
        for (let s = 0; s < 6; s++) {
          expect(b.step(fast.closure)).toBe(a.step(ref.closure));
          expect(bits(fast.params.u)).toEqual(bits(ref.params.u));
          expect(bits(fast.params.v)).toEqual(bits(ref.params.v));
        }
        // a state dict saved from the WASM run resumes on the reference loops, and back
        const c = m.createOptimizer(m.lbfgs(options), quartic(F, 203).params, { kernel: "reference" });
        c.loadStateDict(b.stateDict());
        expect(c.stateDict()).toEqual(b.stateDict());
        b.loadStateDict(a.stateDict());
        for (let s = 0; s < 3; s++) {
          a.step(ref.closure);
          b.step(fast.closure);
          expect(bits(fast.params.u)).toEqual(bits(ref.params.u));
        }
      });

  it("a step whose closure throws mid-step leaves params and state as they were, and the next step is the reference's", () => {
    const ref = quartic(Float64Array, 301);
    const fast = quartic(Float64Array, 301);
    const options = { lr: 0.05, maxIter: 6, historySize: 3 };
    const a = m.createOptimizer(m.lbfgs(options), ref.params, { kernel: "reference" });
    const b = m.createOptimizer(m.lbfgs(options), fast.params);
    for (let s = 0; s < 3; s++) {
      a.step(ref.closure);
      b.step(fast.closure);
    }
    const before = b.stateDict();
    const u = fast.params.u.slice();
    let calls = 0;
    expect(() =>
      b.step(() => {
        if (++calls === 5) throw new Error("evaluation failed");
        return fast.closure();
      }),
    ).toThrow(/evaluation failed/);
    expect(b.stateDict()).toEqual(before);
    expect(bits(fast.params.u)).toEqual(bits(u));
    a.step(ref.closure);
    b.step(fast.closure);
    expect(bits(fast.params.u)).toEqual(bits(ref.params.u));
  });
});
