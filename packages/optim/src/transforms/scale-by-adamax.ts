import { checkNumber, checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByAdamax`. */
export interface ScaleByAdamaxOptions {
  /** (β1, β2): decay rates of the running average and of the infinity norm, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to |u| in the infinity norm, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByAdamax". */
  owner?: string;
}

/** State of `scaleByAdamax`, one buffer per leaf. */
export interface ScaleByAdamaxState {
  /** Updates applied so far. */
  count: number;
  /** The running average m of the updates. */
  expAvg: FloatArray[];
  /** The exponentially weighted infinity norm n. */
  expInf: FloatArray[];
}

/**
 * Adamax (Adam under the infinity norm), with t = count + 1:
 * `m ← β1·m + (1−β1)·u`, `n ← max(β2·n, |u| + ε)`, output `m / ((1−β1ᵗ)·n)`.
 */
export function scaleByAdamax(
  options: ScaleByAdamaxOptions = {},
): GradientTransformation<ScaleByAdamaxState> {
  const owner = ownerOption(options, "scaleByAdamax");
  checkOptions(owner, options, ["betas", "eps", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  return {
    config: (state) => ({ "betas[0]": hyperAt(b1, state.count), "betas[1]": b2, eps }),
    init: (params) => ({ count: 0, expAvg: buffersLike(params), expInf: buffersLike(params) }),
    buffers: (state) => ({ expAvg: state.expAvg, expInf: state.expInf }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = 1 - beta1 ** t;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const n = state.expInf[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = beta1 * m[j]! + (1 - beta1) * g;
          n[j] = Math.max(b2 * n[j]!, Math.abs(g) + eps);
          u[j] = m[j]! / n[j]! / bc1;
        }
      }
      state.count = t;
      return updates;
    },
  };
}
