import {
  checkHyper,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  showValue,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByAdemamix`: Optax's `contrib.scale_by_ademamix`'s. */
export interface ScaleByAdemamixOptions {
  /**
   * (β1, β2, β3): the fast average's, the second moment's and the slow average's decay rates, each
   * in [0, 1); β3 may follow a schedule (the paper warms it up). Default [0.9, 0.999, 0.9999].
   */
  betas?: readonly [number, number, Hyper];
  /** The slow average's weight α ≥ 0 (may follow a schedule; the paper warms it up). Default 5. */
  alpha?: Hyper;
  /** Added to the denominator √v̂, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Added to v̂ inside the square root, ≥ 0. Default 0. */
  epsRoot?: number;
  /** Name used in error messages. Default "scaleByAdemamix". */
  owner?: string;
}

/** State of `scaleByAdemamix`: the count, the fast and slow first moments and the second moment. */
export interface ScaleByAdemamixState {
  /** Updates applied so far. */
  count: number;
  /** m1: the fast average (β1), bias-corrected when used. */
  expAvgFast: FloatArray[];
  /** m2: the slow average (β3), used as is. */
  expAvgSlow: FloatArray[];
  /** Second moment v. */
  expAvgSq: FloatArray[];
}

/**
 * AdEMAMix's preconditioner (Pagliardini et al. 2024, "The AdEMAMix Optimizer: Better, Faster,
 * Older"), as Optax's `contrib.scale_by_ademamix`: two averages of the gradient, a fast one that
 * follows the landscape and a slow one (β3 ≈ 0.9999, a memory of ~10k steps) that keeps old
 * gradients relevant: `m1 ← (1−β1)·u + β1·m1`, `m2 ← (1−β3)·u + β3·m2`, `v ← (1−β2)·u² + β2·v`,
 * output `(m1/(1−β1ᵗ) + α·m2)/(√(v/(1−β2ᵗ) + εroot) + ε)` with t = count + 1.
 */
export function scaleByAdemamix(
  options: ScaleByAdemamixOptions = {},
): GradientTransformation<ScaleByAdemamixState> {
  const owner = ownerOption(options, "scaleByAdemamix");
  checkOptions(owner, options, ["betas", "alpha", "eps", "epsRoot", "owner"]);
  const betas = options.betas ?? [0.9, 0.999, 0.9999];
  if (!Array.isArray(betas) || betas.length !== 3)
    throw new RangeError(
      `${owner}: betas must be three values [beta1, beta2, beta3], got ${showValue(betas)}`,
    );
  const b1 = checkNumber(owner, "betas[0]", betas[0], "[0, 1)");
  const b2 = checkNumber(owner, "betas[1]", betas[1], "[0, 1)");
  const b3 = checkHyper(owner, "betas[2]", betas[2], "[0, 1)");
  const alpha = checkHyper(owner, "alpha", options.alpha ?? 5, "[0, inf)");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const epsRoot = checkNumber(owner, "epsRoot", options.epsRoot ?? 0, "[0, inf)");
  return {
    config: (state) => ({
      "betas[0]": b1,
      "betas[1]": b2,
      "betas[2]": hyperAt(b3, state.count),
      alpha: hyperAt(alpha, state.count),
      eps,
      epsRoot,
    }),
    init: (params) => ({
      count: 0,
      expAvgFast: buffersLike(params),
      expAvgSlow: buffersLike(params),
      expAvgSq: buffersLike(params),
    }),
    buffers: (state) => ({
      expAvgFast: state.expAvgFast,
      expAvgSlow: state.expAvgSlow,
      expAvgSq: state.expAvgSq,
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvgFast);
      const beta3 = valueAt(owner, "betas[2]", b3, state.count, "[0, 1)");
      const a = valueAt(owner, "alpha", alpha, state.count, "[0, inf)");
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m1 = state.expAvgFast[i]!;
        const m2 = state.expAvgSlow[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m1[j] = (1 - b1) * g + b1 * m1[j]!;
          m2[j] = (1 - beta3) * g + beta3 * m2[j]!;
          v[j] = (1 - b2) * (g * g) + b2 * v[j]!;
          u[j] = (m1[j]! / bc1 + a * m2[j]!) / (Math.sqrt(v[j]! / bc2 + epsRoot) + eps);
        }
      }
      state.count = t;
      return updates;
    },
  };
}
