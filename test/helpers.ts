import type { Dtype, FloatArray, Tree } from "momenta";
import { leavesOf } from "momenta";

/** A small seeded PRNG (mulberry32) so every test sees the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(dtype: Dtype, n: number, next: () => number, scale = 1): FloatArray {
  const a = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
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
