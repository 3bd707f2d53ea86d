import {
  checkBoolean,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByBelief`: Optax's `scale_by_belief`'s. */
export interface ScaleByBeliefOptions {
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator √ŝ, ≥ 0. Default 1e-16. */
  eps?: number;
  /** Added to s at every update (kept in the state, as the paper and Optax do), ≥ 0. Default 1e-16. */
  epsRoot?: number;
  /** Use the Nesterov form of the first moment. Default false. */
  nesterov?: boolean;
  /** Name used in error messages. Default "scaleByBelief". */
  owner?: string;
}

/** State of `scaleByBelief`: the count, the first moment and the "belief" (variance around it). */
export interface ScaleByBeliefState {
  /** Updates applied so far. */
  count: number;
  /** First moment m. */
  expAvg: FloatArray[];
  /** The belief s: the running average of (u − m)², plus εroot each update. */
  expAvgVar: FloatArray[];
}

/**
 * AdaBelief's preconditioner (Zhuang et al. 2020), as Optax's `scale_by_belief`:
 * `m ← (1−β1)·u + β1·m`, `s ← (1−β2)·(u − m)² + β2·s + εroot` — the spread of the gradient around
 * its own average, large where the gradient is surprising, small where it is predictable — then
 * with t = count + 1, `m̂ = m/(1−β1ᵗ)` (Nesterov: `β1·m/(1−β1ᵗ⁺¹) + (1−β1)·u/(1−β1ᵗ)`),
 * `ŝ = s/(1−β2ᵗ)`, output `m̂/(√ŝ + ε)`.
 */
export function scaleByBelief(
  options: ScaleByBeliefOptions = {},
): GradientTransformation<ScaleByBeliefState> {
  const owner = ownerOption(options, "scaleByBelief");
  checkOptions(owner, options, ["betas", "eps", "epsRoot", "nesterov", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-16, "[0, inf)");
  const epsRoot = checkNumber(owner, "epsRoot", options.epsRoot ?? 1e-16, "[0, inf)");
  const nesterov = checkBoolean(owner, "nesterov", options.nesterov ?? false);
  return {
    config: (state) => ({ "betas[0]": hyperAt(b1, state.count), "betas[1]": b2, eps, epsRoot, nesterov }),
    init: (params) => ({ count: 0, expAvg: buffersLike(params), expAvgVar: buffersLike(params) }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgVar: state.expAvgVar }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = 1 - beta1 ** t;
      const bc1Next = 1 - beta1 ** (t + 1);
      const bc2 = 1 - b2 ** t;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const s = state.expAvgVar[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = (1 - beta1) * g + beta1 * m[j]!;
          const e = g - m[j]!;
          s[j] = (1 - b2) * (e * e) + b2 * s[j]! + epsRoot;
          const mHat = nesterov ? beta1 * (m[j]! / bc1Next) + (1 - beta1) * (g / bc1) : m[j]! / bc1;
          u[j] = mHat / (Math.sqrt(s[j]! / bc2) + eps);
        }
      }
      state.count = t;
      return updates;
    },
  };
}
