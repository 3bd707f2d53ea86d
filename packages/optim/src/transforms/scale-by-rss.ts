import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByRss`. */
export interface ScaleByRssOptions {
  /** Starting value of the sum of squares, ≥ 0. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator √s, ≥ 0. Default 1e-10. */
  eps?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRss". */
  owner?: string;
}

/** State of `scaleByRss`, one buffer per leaf. */
export interface ScaleByRssState {
  /** The sum s of squared updates so far. */
  sum: FloatArray[];
}

/** Adagrad's preconditioner: `s ← s + u²`, output `u / (√s + ε)` (root of the sum of squares). */
export function scaleByRss(options: ScaleByRssOptions = {}): GradientTransformation<ScaleByRssState> {
  const owner = ownerOption(options, "scaleByRss");
  checkOptions(owner, options, ["initialAccumulatorValue", "eps", "owner"]);
  const init = checkNumber(
    owner,
    "initialAccumulatorValue",
    options.initialAccumulatorValue ?? 0,
    "[0, inf)",
  );
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-10, "[0, inf)");
  return {
    config: () => ({ initialAccumulatorValue: init, eps }),
    init: (params) => ({ sum: buffersLike(params, init) }),
    buffers: (state) => ({ sum: state.sum }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.sum);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const s = state.sum[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          s[j]! += g * g;
          u[j] = g / (Math.sqrt(s[j]!) + eps);
        }
      }
      return updates;
    },
  };
}
