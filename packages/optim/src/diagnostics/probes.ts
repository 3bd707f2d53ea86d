/**
 * Probe vectors and the few vector operations the curvature estimators need, on param trees: a probe
 * has the params' structure and dtypes (so a Hessian-vector product written for gradients accepts
 * it), dot products and norms are accumulated in float64.
 */
import { normal, rng } from "../rng.js";
import { assertSameStructure, type FloatArray, leavesOf, mapTree, type Tree } from "../tree.js";

/** A Hessian-vector product: `hvp(v)` returns H·v, a tree of the params' structure. */
export type Hvp = (v: Tree) => Tree;

/** A tree like `params` filled with independent ±1 (Rademacher), drawn from `next`. */
export function rademacherLike(params: Tree, next: () => number): Tree {
  return mapTree(params, (d) => {
    const out = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
    for (let j = 0; j < out.length; j++) out[j] = next() < 0.5 ? -1 : 1;
    return out;
  });
}

/** A tree like `params` filled with independent N(0, 1), drawn from a generator seeded with `seed`. */
export function gaussianLike(params: Tree, seed: number): Tree {
  const gauss = normal(rng(seed));
  return mapTree(params, (d) => {
    const out = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
    for (let j = 0; j < out.length; j++) out[j] = gauss();
    return out;
  });
}

/** Σ aᵢbᵢ over every leaf, in float64. */
export function dot(a: readonly FloatArray[], b: readonly FloatArray[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    for (let j = 0; j < x.length; j++) s += x[j]! * y[j]!;
  }
  return s;
}

/** Calls `hvp` and checks that its answer has the params' structure; returns its leaves. */
export function applyHvp(owner: string, hvp: Hvp, params: Tree, v: Tree): FloatArray[] {
  const hv = hvp(v);
  try {
    assertSameStructure(params, hv, { what: "hvp's result", dtype: false });
  } catch (e) {
    throw new TypeError(`${owner}: ${(e as Error).message}`);
  }
  return leavesOf(hv);
}
