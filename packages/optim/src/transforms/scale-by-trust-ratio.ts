import { pNorm } from "../clipping/norms.js";
import { checkMask, checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { type GradientTransformation, paramLeaves } from "../transform.js";
import { leavesOf, type Mask, type Tree } from "../tree.js";
import { maskFor } from "./add-decayed-weights.js";

/**
 * The layer-wise trust ratio of LARS/LAMB (You et al. 2020), each leaf on its own:
 * `u ← u · c·‖p‖ / (‖u‖ + ε)` (Euclidean norms over the whole leaf, c the trust coefficient), and
 * `u` unchanged when either norm is 0 — a zero-initialized leaf still moves, and a zero update stays
 * zero — as Optax's `scale_by_trust_ratio` and Keras's `Lamb` do. The paper's φ is the identity.
 * `mask` limits it to some leaves (LARS leaves biases and norms out). Needs params.
 */
export function scaleByTrustRatio(
  options: {
    /** c, the trust coefficient, > 0 (LARS's η: 0.001 in Optax's `lars`). Default 1. */
    trustCoefficient?: number;
    /** Added to ‖u‖, ≥ 0. Default 0. */
    eps?: number;
    /** Which leaves are scaled: a predicate or a tree of booleans. Default: all. */
    mask?: Mask;
    /** Name used in error messages (lamb passes its own). Default "scaleByTrustRatio". */
    owner?: string;
  } = {},
): GradientTransformation<null> {
  const owner = ownerOption(options, "scaleByTrustRatio");
  checkOptions(owner, options, ["trustCoefficient", "eps", "mask", "owner"]);
  const coefficient = checkNumber(owner, "trustCoefficient", options.trustCoefficient ?? 1, "(0, inf)");
  const eps = checkNumber(owner, "eps", options.eps ?? 0, "[0, inf)");
  checkMask(owner, "mask", options.mask);
  const mask = options.mask;
  return {
    init: () => null,
    update(updates: Tree, _state, params) {
      const us = leavesOf(updates);
      const ps = paramLeaves(owner, params, us.length);
      const on = mask === undefined ? undefined : maskFor(owner, mask, params!);
      for (let i = 0; i < us.length; i++) {
        if (on && !on[i]) continue;
        const u = us[i]!;
        const paramNorm = pNorm(ps[i]!, 2);
        const updateNorm = pNorm(u, 2);
        if (paramNorm === 0 || updateNorm === 0) continue;
        const ratio = (coefficient * paramNorm) / (updateNorm + eps);
        for (let j = 0; j < u.length; j++) u[j]! *= ratio;
      }
      return updates;
    },
  };
}
