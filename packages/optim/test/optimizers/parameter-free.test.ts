/**
 * Prodigy and D-Adapt AdamW: the step size D is estimated, not given (their numerics against Optax
 * are in golden/optax.golden.test.ts). What the papers claim of D, and what momenta adds.
 */
import * as fc from "fast-check";
import {
  type AnyTransformation,
  adam,
  createOptimizer,
  dadaptAdamw,
  leavesOf,
  prodigy,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { randomTree, snapshot, trainWithResume } from "../helpers.ts";

const PARAMETER_FREE: [string, (o?: object) => AnyTransformation][] = [
  ["prodigy", (o) => prodigy(o as never)],
  ["dadaptAdamw", (o) => dadaptAdamw(o as never)],
];

/** D, read from the state dict (the one entry holding it; undefined for an optimizer without one). */
function dOf(opt: { stateDict(): { state: unknown } }): number | undefined {
  const s = (opt.stateDict().state as (Record<string, unknown> | null)[]).find((x) => x !== null && "d" in x);
  return s?.d as number | undefined;
}

/**
 * A diagonal quadratic ½·Σ h_i (x_i − x*_i)² from x = 0, its solution at distance ∝ R: the steps
 * until every coordinate is within 10 % of R, the final error / R, and D.
 */
function solve(tx: AnyTransformation, R: number, steps = 400) {
  const n = 16;
  const x = new Float64Array(n);
  const target = Float64Array.from({ length: n }, (_, i) => (R * (1 + (i % 4))) / 2.5);
  const opt = createOptimizer(tx, { x });
  const g = new Float64Array(n);
  const err = () => Math.max(...x.map((v, i) => Math.abs(v - target[i]!)));
  let within: number | null = null;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) g[i] = ((i % 3) + 1) * (x[i]! - target[i]!);
    opt.step({ x: g });
    if (within === null && err() < 0.1 * R) within = t + 1;
  }
  return { within, error: err() / R, d: dOf(opt) };
}

describe("D tracks the distance to the solution, so one setting fits every scale", () => {
  for (const [name, make] of PARAMETER_FREE) {
    it(`${name}: over 4 decades of distance, D/R stays within 20 % and the steps to 10 % within 100`, () => {
      const runs = [0.01, 1, 100].map((R) => ({ R, ...solve(make(), R) }));
      const ratios = runs.map((r) => r.d! / r.R);
      expect(Math.max(...ratios) / Math.min(...ratios)).toBeLessThan(1.2);
      for (const r of runs) {
        expect(r.within, `R ${r.R}`).not.toBeNull();
        expect(r.within!).toBeLessThanOrEqual(100);
        expect(r.error).toBeLessThan(1e-6);
      }
    });
  }
  it("while Adam at its default lr, given the same 400 steps, does not get within 10 % at R = 1", () => {
    expect(solve(adam(), 1).within).toBeNull();
  });
});

describe("D never decreases (property)", () => {
  for (const [name, make] of PARAMETER_FREE) {
    it(name, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 10_000 }),
          fc.double({ min: 1e-7, max: 1, noNaN: true }),
          (s, d0) => {
            const params = randomTree("float64", s);
            const opt = createOptimizer(make({ d0, weightDecay: 0.01 }), params);
            const noise = randomTree("float64", s + 1);
            let last = dOf(opt)!;
            const grads = randomTree("float64", s + 2);
            for (let t = 0; t < 25; t++) {
              // a quadratic's gradient (the params themselves) plus fixed noise
              const ps = snapshot(params);
              const ns = snapshot(noise);
              const gs = ps.map((leaf, i) => leaf.map((p, j) => p + 0.1 * ns[i]![j]!));
              opt.step(fill(grads, gs));
              const d = dOf(opt)!;
              expect(d).toBeGreaterThanOrEqual(last);
              last = d;
            }
          },
        ),
        { numRuns: 25, seed: 2 },
      );
    });
  }
});

/** Writes values leaf by leaf (in the library's leaf order) into a tree of the same structure. */
function fill<T extends Tree>(tree: T, values: number[][]): T {
  for (const [i, leaf] of leavesOf(tree).entries()) leaf.set(values[i]!);
  return tree;
}

describe("what the estimate cannot use changes nothing", () => {
  for (const [name, make] of PARAMETER_FREE) {
    it(`${name}: all-zero gradients leave params and D as they were, with no NaN (Optax's D becomes NaN)`, () => {
      const params = randomTree("float64", 5);
      const before = snapshot(params);
      const opt = createOptimizer(make(), params);
      const zero = fill(
        randomTree("float64", 5),
        before.map((l) => l.map(() => 0)),
      );
      for (let t = 0; t < 3; t++) opt.step(zero);
      expect(snapshot(params)).toEqual(before);
      expect(dOf(opt)).toBe(1e-6);
    });
    it(`${name}: lr 0 (a schedule's zero) moves nothing and estimates nothing`, () => {
      const params = randomTree("float32", 6);
      const before = snapshot(params);
      const opt = createOptimizer(make({ lr: 0, weightDecay: 0.1 }), params);
      for (let t = 0; t < 3; t++) opt.step(randomTree("float32", 7 + t));
      expect(snapshot(params)).toEqual(before);
      expect(dOf(opt)).toBe(1e-6);
    });
  }
});

describe("resume is bit-identical", () => {
  const cosine = (count: number) => 0.5 + 0.5 * Math.cos((Math.PI * count) / 40);
  const configs: [string, () => AnyTransformation][] = [
    ["prodigy", () => prodigy()],
    [
      "prodigy, scheduled lr, masked decay, beta3, safeguard",
      () =>
        prodigy({
          lr: cosine,
          weightDecay: 0.05,
          mask: (p) => !p.endsWith("bias"),
          beta3: 0.95,
          safeguardWarmup: true,
        }),
    ],
    ["dadaptAdamw", () => dadaptAdamw()],
    [
      "dadaptAdamw, scheduled lr and decay, maximize",
      () => dadaptAdamw({ lr: cosine, weightDecay: (c) => 0.1 / (1 + c), maximize: true }),
    ],
  ];
  for (const [name, make] of configs) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype})`, () => {
        const straight = trainWithResume(make, dtype, 40);
        expect(straight).not.toEqual(snapshot(randomTree(dtype, 11))); // it trains
        expect(trainWithResume(make, dtype, 40, 17)).toEqual(straight);
        expect(trainWithResume(make, dtype, 40, 1)).toEqual(straight);
      });
    }
  }
});
