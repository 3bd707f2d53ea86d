import { pNorm } from "../clipping/norms.js";
import { checkOptions, ownerOption } from "../hyper.js";
import { type GradientTransformation, paramLeaves } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";

/**
 * The layer-wise trust ratio of LARS/LAMB (You et al. 2020), each leaf on its own:
 * `u ← u · ‖p‖ / ‖u‖` (Euclidean norms over the whole leaf), and `u` unchanged when either norm is
 * 0 — a zero-initialized leaf still moves, and a zero update stays zero — as Optax's
 * `scale_by_trust_ratio` and Keras's `Lamb` do. The paper's φ is the identity. Needs params.
 */
export function scaleByTrustRatio(
  options: {
    /** Name used in error messages (lamb passes its own). Default "scaleByTrustRatio". */
    owner?: string;
  } = {},
): GradientTransformation<null> {
  const owner = ownerOption(options, "scaleByTrustRatio");
  checkOptions(owner, options, ["owner"]);
  return {
    init: () => null,
    update(updates: Tree, _state, params) {
      const us = leavesOf(updates);
      const ps = paramLeaves(owner, params, us.length);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const paramNorm = pNorm(ps[i]!, 2);
        const updateNorm = pNorm(u, 2);
        if (paramNorm === 0 || updateNorm === 0) continue;
        const ratio = paramNorm / updateNorm;
        for (let j = 0; j < u.length; j++) u[j]! *= ratio;
      }
      return updates;
    },
  };
}
