import { checkInteger, checkNumber, checkOptions } from "../hyper.js";
import { leavesOf, mapTree, type Tree } from "../tree.js";
import { applyHvp, dot, gaussianLike, type Hvp } from "./probes.js";

/** Options of `topEigenvalue`. */
export interface TopEigenvalueOptions {
  /** Hessian-vector products at most, an integer ≥ 1. Default 100. */
  iterations?: number;
  /** Relative change (≥ 0) of the Rayleigh quotient to stop at. Default 1e-6. */
  tol?: number;
  /** Seed of the starting vector (any number). Default 0. */
  seed?: number;
}

/** What `topEigenvalue` returns. */
export interface TopEigenvalueResult {
  /** The estimate of the eigenvalue of largest magnitude (the last Rayleigh quotient). */
  eigenvalue: number;
  /** Hessian-vector products used. */
  iterations: number;
  /** Whether the estimate settled within `tol` before `iterations` ran out. */
  converged: boolean;
  /** The last unit vector v (its Rayleigh quotient is `eigenvalue`), shaped like the params. */
  vector: Tree;
}

/**
 * `topEigenvalue(hvp, params, { iterations, tol, seed })`: the Hessian's eigenvalue of largest
 * magnitude by power iteration, `v ← Hv/‖Hv‖` from a seeded Gaussian start, estimated by the Rayleigh
 * quotient vᵀHv/vᵀv, whose error falls as (λ₂/λ₁)^(2k) for a symmetric H.
 *
 * Stops when two successive Rayleigh quotients differ by at most `tol`·|λ| (`converged: true`) or
 * after `iterations` products. Largest *magnitude*: near a saddle that can be a negative eigenvalue.
 * When the two largest magnitudes are close (or equal, as for ±λ) convergence is slow or absent;
 * `converged: false` says so.
 */
export function topEigenvalue(
  hvp: Hvp,
  params: Tree,
  options: TopEigenvalueOptions = {},
): TopEigenvalueResult {
  const owner = "topEigenvalue";
  if (typeof hvp !== "function") throw new TypeError(`${owner}: hvp must be a function v => H·v`);
  checkOptions(owner, options, ["iterations", "tol", "seed"]);
  const iterations = checkInteger(owner, "iterations", options.iterations ?? 100, "[1, inf)");
  const tol = checkNumber(owner, "tol", options.tol ?? 1e-6, "[0, inf)");
  const seed = checkNumber(owner, "seed", options.seed ?? 0, "(-inf, inf)");
  let v = gaussianLike(params, seed);
  normalize(v);
  let lambda = Number.NaN;
  for (let k = 1; k <= iterations; k++) {
    const vs = leavesOf(v);
    const hv = applyHvp(owner, hvp, params, v);
    const vv = dot(vs, vs); // 1, up to the rounding of v's dtype
    const next = vv > 0 ? dot(vs, hv) / vv : 0;
    const norm = Math.sqrt(dot(hv, hv));
    const done = norm === 0 || (k > 1 && Math.abs(next - lambda) <= tol * Math.abs(next));
    lambda = next;
    if (done || norm === 0) return { eigenvalue: lambda, iterations: k, converged: true, vector: v };
    let i = 0;
    v = mapTree(v, (d) => {
      const h = hv[i++]!;
      const out = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
      for (let j = 0; j < out.length; j++) out[j] = h[j]! / norm;
      return out;
    });
  }
  return { eigenvalue: lambda, iterations, converged: false, vector: v };
}

function normalize(v: Tree): void {
  const vs = leavesOf(v);
  const norm = Math.sqrt(dot(vs, vs));
  if (norm > 0) for (const d of vs) for (let j = 0; j < d.length; j++) d[j]! /= norm;
}
