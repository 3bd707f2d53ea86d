import { checkNumber, checkOptions } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";
import { checkNormType, pNorm } from "./norms.js";

/** Per-leaf clipping: each leaf scaled by `min(1, maxNorm/(‖leaf‖ + 1e-6))` on its own. */
export function clipByBlockNorm(
  maxNorm: number,
  options: {
    /** The p of the p-norm: 2 (default), Infinity, or any p > 0. */
    normType?: number;
  } = {},
): GradientTransformation<null> {
  const owner = "clipByBlockNorm";
  const max = checkNumber(owner, "maxNorm", maxNorm, "[0, inf)");
  checkOptions(owner, options, ["normType"]);
  const p = checkNormType(owner, options.normType ?? 2);
  return {
    init: () => null,
    update(updates: Tree) {
      for (const u of leavesOf(updates)) {
        const coef = Math.min((1 / (pNorm(u, p) + 1e-6)) * max, 1);
        for (let j = 0; j < u.length; j++) u[j]! *= coef;
      }
      return updates;
    },
  };
}
