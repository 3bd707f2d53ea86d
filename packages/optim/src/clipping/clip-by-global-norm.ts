import { checkBoolean, checkNumber, checkOptions } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";
import { checkNormType, leavesNorm } from "./norms.js";

/** Options of `clipByGlobalNorm`: `clip_grad_norm_`'s. */
export interface ClipByGlobalNormOptions {
  /** The p of the p-norm: 2 (default), Infinity, or any p > 0. */
  normType?: number;
  /** Throw (changing nothing) when the total norm is NaN or infinite. Default false. */
  errorIfNonfinite?: boolean;
}

/** State of `clipByGlobalNorm`. */
export interface ClipState {
  /** The norm measured at the last update, before clipping (what `clip_grad_norm_` returns). */
  totalNorm: number;
}

/**
 * `torch.nn.utils.clip_grad_norm_`: with N the p-norm of the per-leaf p-norms, scale every update by
 * `min(1, maxNorm/(N + 1e-6))`. Placement is chain order: first in a chain it clips the raw gradient
 * before it reaches the moments; after the optimizer it clips the final step.
 * A non-finite N gives a NaN/zero scale exactly as in PyTorch, unless `errorIfNonfinite`.
 */
export function clipByGlobalNorm(
  maxNorm: number,
  options: ClipByGlobalNormOptions = {},
): GradientTransformation<ClipState> {
  const owner = "clipByGlobalNorm";
  const max = checkNumber(owner, "maxNorm", maxNorm, "[0, inf)");
  checkOptions(owner, options, ["normType", "errorIfNonfinite"]);
  const p = checkNormType(owner, options.normType ?? 2);
  const strict = checkBoolean(owner, "errorIfNonfinite", options.errorIfNonfinite ?? false);
  return {
    config: () => ({ maxNorm: max, normType: p, errorIfNonfinite: strict }),
    fusion: { kind: "clip-global-norm", maxNorm: max, normType: p, strict },
    init: () => ({ totalNorm: 0 }),
    update(updates: Tree, state) {
      const us = leavesOf(updates);
      const norm = leavesNorm(us, p);
      if (strict && !Number.isFinite(norm)) {
        throw new RangeError(
          `${owner}: the total ${p}-norm of the gradients is ${norm}; nothing was changed`,
        );
      }
      // (1/(N + ε))·maxNorm rather than maxNorm/(N + ε): the same rounding as PyTorch
      const coef = Math.min((1 / (norm + 1e-6)) * max, 1);
      for (const u of us) for (let j = 0; j < u.length; j++) u[j]! *= coef;
      state.totalNorm = norm;
      return updates;
    },
  };
}
