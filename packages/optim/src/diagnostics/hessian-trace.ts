import { checkInteger, checkNumber, checkOptions } from "../hyper.js";
import { rng } from "../rng.js";
import { leavesOf, type Tree } from "../tree.js";
import { applyHvp, dot, type Hvp, rademacherLike } from "./probes.js";

/** Options of `hessianTrace`. */
export interface HessianTraceOptions {
  /** Probes, an integer ≥ 1. Default 100. */
  samples?: number;
  /** Seed of the probe generator (any number). Default 0. */
  seed?: number;
}

/** What `hessianTrace` returns. */
export interface HessianTraceResult {
  /** The mean of zᵀHz over the probes. */
  trace: number;
  /** The standard error of that mean; null with one probe. */
  stderr: number | null;
  /** The probes used. */
  samples: number;
}

/**
 * `hessianTrace(hvp, params, { samples, seed })`: Hutchinson's estimator of tr(H), given a
 * Hessian-vector product (exact for analytic problems; `finiteDifferenceHvp` builds one from a
 * gradient function).
 *
 * For probes z with independent ±1 entries (Rademacher), E[zᵀHz] = tr(H) and, H symmetric,
 * Var(zᵀHz) = 2·Σ_{i≠j} H_ij² — the smallest variance among probes with independent unit-variance
 * entries (Hutchinson 1990). A diagonal H is therefore measured exactly by a single probe; otherwise
 * the error shrinks as 1/√samples, and `stderr` (the probes' sample standard deviation / √samples)
 * estimates it. The probes come from a seeded generator (mulberry32): the same seed gives the same
 * estimate.
 */
export function hessianTrace(hvp: Hvp, params: Tree, options: HessianTraceOptions = {}): HessianTraceResult {
  const owner = "hessianTrace";
  if (typeof hvp !== "function") throw new TypeError(`${owner}: hvp must be a function v => H·v`);
  checkOptions(owner, options, ["samples", "seed"]);
  const samples = checkInteger(owner, "samples", options.samples ?? 100, "[1, inf)");
  const seed = checkNumber(owner, "seed", options.seed ?? 0, "(-inf, inf)");
  const next = rng(seed);
  // Welford's running mean and sum of squared deviations
  let mean = 0;
  let m2 = 0;
  for (let k = 1; k <= samples; k++) {
    const z = rademacherLike(params, next);
    const x = dot(leavesOf(z), applyHvp(owner, hvp, params, z));
    const d = x - mean;
    mean += d / k;
    m2 += d * (x - mean);
  }
  const stderr = samples > 1 ? Math.sqrt(m2 / (samples - 1) / samples) : null;
  return { trace: mean, stderr, samples };
}
