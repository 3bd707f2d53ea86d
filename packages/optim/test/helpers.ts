import {
  createOptimizer,
  type Dtype,
  type FloatArray,
  type GradientTransformation,
  leavesOf,
  type Tree,
} from "momenta-optim";
import { expect } from "vitest";
import { rng } from "../src/rng.ts";

export { rng } from "../src/rng.ts";

export function randomArray(dtype: Dtype, n: number, next: () => number, scale = 1): FloatArray {
  const a = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/**
 * Leaves of awkward sizes for the kernel tests: empty, 1, 3, 4k+1, a matrix, `many` small ones, and
 * optionally one of `big` elements (several staging blocks).
 */
export function awkwardTree(dtype: Dtype, seed: number, { many = 40, big = 0 } = {}): Tree {
  const next = rng(seed);
  const arr = (n: number) => randomArray(dtype, n, next);
  return {
    a: arr(1),
    b: arr(3),
    empty: arr(0),
    k: arr(9),
    w: { data: arr(15), shape: [3, 5] },
    many: Array.from({ length: many }, (_, i) => arr(1 + (i % 6))),
    ...(big > 0 ? { big: arr(big) } : {}),
  };
}

/** The largest |a − b| / max(1, |b|) over leaves of numbers. */
export function maxRel(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => {
    row.forEach((x, j) => {
      worst = Math.max(worst, Math.abs(x - b[i]![j]!) / Math.max(1, Math.abs(b[i]![j]!)));
    });
  });
  return worst;
}

/** A tree with awkward sizes: a matrix, a bias, a list of vectors, a scalar. */
export function randomTree(dtype: Dtype, seed: number, scale = 1): Tree {
  const next = rng(seed);
  return {
    dense: {
      weight: { data: randomArray(dtype, 12, next, scale), shape: [3, 4] },
      bias: randomArray(dtype, 3, next, scale),
    },
    blocks: [randomArray(dtype, 7, next, scale), randomArray(dtype, 1, next, scale)],
    gain: randomArray(dtype, 2, next, scale),
  };
}

/** A deterministic gradient stream: each call gives g_t = (p − target) + noise_t for the params passed. */
export function quadraticGrads(dtype: Dtype, seed: number) {
  const target = leavesOf(randomTree(dtype, seed + 1));
  const next = rng(seed);
  return (params: Tree): Tree => {
    const g = structuredClone(params) as Tree;
    const ps = leavesOf(params);
    leavesOf(g).forEach((leaf, i) => {
      for (let j = 0; j < leaf.length; j++) leaf[j] = ps[i]![j]! - target[i]![j]! + 0.1 * (next() * 2 - 1);
    });
    return g;
  };
}

export function snapshot(tree: Tree): number[][] {
  return leavesOf(tree).map((a) => Array.from(a));
}

/**
 * Trains `steps` steps on the quadratic stream; at `resumeAt`, saves params and state through JSON
 * text, rebuilds everything from scratch and restores. Returns the final params.
 */
export function trainWithResume(
  make: () => GradientTransformation<unknown>,
  dtype: Dtype,
  steps: number,
  resumeAt?: number,
): number[][] {
  let params = randomTree(dtype, 11);
  const grads = quadraticGrads(dtype, 3);
  let opt = createOptimizer(make(), params);
  for (let t = 0; t < steps; t++) {
    if (t === resumeAt) {
      const saved = JSON.parse(JSON.stringify({ params: snapshot(params), opt: opt.stateDict() }));
      params = randomTree(dtype, 999);
      leavesOf(params).forEach((a, i) => {
        a.set(saved.params[i]);
      });
      opt = createOptimizer(make(), params);
      opt.loadStateDict(saved.opt);
      expect(opt.stepCount).toBe(t);
    }
    opt.step(grads(params));
  }
  return snapshot(params);
}

/** The error `fn` throws, checked to be an Error whose message matches `re` (fails if nothing is thrown). */
export function thrown(fn: () => unknown, re: RegExp): Error {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(re);
  return error as Error;
}

/** Per optimizer, the options that give it every optional state buffer (momentum, AMSGrad, centred RMSprop). */
export const ALL_BUFFERS: Readonly<Record<string, object>> = {
  sgd: { momentum: 0.9 },
  sgdw: { momentum: 0.9 },
  rmsprop: { momentum: 0.9, centered: true },
  adam: { amsgrad: true },
  adamw: { amsgrad: true },
};

/** Elements of `illConditionedQuadratic` (16 blocks of 8-bit state). */
export const N = 4096;

/**
 * ½ Σ hᵢ xᵢ², hᵢ log-uniform over [1e-2, 1e2] (4 decades inside every block of compact state), from
 * x ∈ [−1, 1]: where low-precision moments have to keep up with float ones.
 */
export function illConditionedQuadratic(seed = 1) {
  const next = rng(seed);
  const h = Float64Array.from({ length: N }, () => 10 ** (-2 + 4 * next()));
  const x0 = Float32Array.from({ length: N }, () => next() * 2 - 1);
  const loss = (x: Float32Array) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += 0.5 * h[i]! * x[i]! ** 2;
    return s;
  };
  return { h, x0, loss };
}
