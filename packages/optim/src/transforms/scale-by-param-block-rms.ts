import { pNorm } from "../clipping/norms.js";
import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { type GradientTransformation, paramLeaves } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";

/**
 * Scales each leaf by the RMS of its params, floored: `u ← u · max(ε2, RMS(p))`, `RMS(p) = ‖p‖/√n`
 * — Adafactor's relative step: steps proportional to the weights' own scale, and at least ε2 so
 * that zero-initialized leaves move. Needs params.
 */
export function scaleByParamBlockRms(
  minScale = 1e-3,
  options: {
    /** Name used in error messages (adafactor passes its own). Default "scaleByParamBlockRms". */
    owner?: string;
  } = {},
): GradientTransformation<null> {
  const owner = ownerOption(options, "scaleByParamBlockRms");
  checkOptions(owner, options, ["owner"]);
  // adafactor's eps[1], when adafactor (which passes its owner) built it
  const eps2 = checkNumber(owner, options.owner === undefined ? "minScale" : "eps[1]", minScale, "[0, inf)");
  return {
    init: () => null,
    update(updates: Tree, _state, params) {
      const us = leavesOf(updates);
      const ps = paramLeaves(owner, params, us.length);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        if (u.length === 0) continue;
        const s = Math.max(eps2, pNorm(ps[i]!, 2) / Math.sqrt(u.length));
        for (let j = 0; j < u.length; j++) u[j]! *= s;
      }
      return updates;
    },
  };
}
