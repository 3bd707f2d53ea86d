import { checkNumber, checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByRadam`. */
export interface ScaleByRadamOptions {
  /** (β1, β2): decay rates of the running averages of the update and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to √v before the bias correction, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRadam". */
  owner?: string;
}

/** State of `scaleByRadam`, one buffer per leaf. */
export interface ScaleByRadamState {
  /** Updates applied so far. */
  count: number;
  /** First moment m. */
  expAvg: FloatArray[];
  /** Second moment v. */
  expAvgSq: FloatArray[];
}

/**
 * RAdam (Liu et al. 2019). With t = count + 1, ρ∞ = 2/(1−β2) − 1 and ρ_t = ρ∞ − 2tβ2ᵗ/(1−β2ᵗ):
 * moments as Adam; if ρ_t > 5 output `m̂ · √(1−β2ᵗ)/(√v + ε) · r_t` with the rectifier
 * `r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))`, else the un-preconditioned `m̂ = m/(1−β1ᵗ)`.
 * Note ε is added to √v before the bias correction here (unlike Adam), as PyTorch does.
 */
export function scaleByRadam(options: ScaleByRadamOptions = {}): GradientTransformation<ScaleByRadamState> {
  const owner = ownerOption(options, "scaleByRadam");
  checkOptions(owner, options, ["betas", "eps", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  return {
    config: (state) => ({ "betas[0]": hyperAt(b1, state.count), "betas[1]": b2, eps }),
    init: (params) => ({ count: 0, expAvg: buffersLike(params), expAvgSq: buffersLike(params) }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - b2 ** t;
      const rhoInf = 2 / (1 - b2) - 1;
      const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
      const rect =
        rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      const bc2Sqrt = Math.sqrt(bc2);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = beta1 * m[j]! + (1 - beta1) * g;
          v[j] = b2 * v[j]! + (1 - b2) * g * g;
          const mHat = m[j]! / bc1;
          u[j] = rhoT > 5 ? mHat * (bc2Sqrt / (Math.sqrt(v[j]!) + eps)) * rect : mHat;
        }
      }
      state.count = t;
      return updates;
    },
  };
}
