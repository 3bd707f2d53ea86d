import { checkNumber, checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByNadam`. */
export interface ScaleByNadamOptions {
  /** (β1, β2): decay rates of the running averages of the update and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator, ≥ 0. Default 1e-8. */
  eps?: number;
  /** ψ of the momentum schedule `μ_t = β1·(1 − ½·0.96^(t·ψ))`, ≥ 0. Default 4e-3. */
  momentumDecay?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByNadam". */
  owner?: string;
}

/** State of `scaleByNadam`: the count, the momentum product and the two moments, one buffer per leaf. */
export interface ScaleByNadamState {
  /** Updates applied so far. */
  count: number;
  /** Π μ_k over the updates so far (starts at 1). */
  muProduct: number;
  /** First moment m. */
  expAvg: FloatArray[];
  /** Second moment v. */
  expAvgSq: FloatArray[];
}

/**
 * NAdam (Dozat 2016) with PyTorch's momentum schedule. With t = count + 1 and ψ = momentumDecay:
 * `μ_t = β1·(1 − ½·0.96^(tψ))`, `Π ← Π·μ_t`, `m ← β1·m + (1−β1)·u`, `v ← β2·v + (1−β2)·u²`,
 * `d = √(v/(1−β2ᵗ)) + ε`, output `(1−μ_t)/(1−Π)·u/d + μ_{t+1}/(1−Π·μ_{t+1})·m/d`.
 * (PyTorch before 2.0 multiplied μ_t into the last product twice; this follows the fixed version.)
 */
export function scaleByNadam(options: ScaleByNadamOptions = {}): GradientTransformation<ScaleByNadamState> {
  const owner = ownerOption(options, "scaleByNadam");
  checkOptions(owner, options, ["betas", "eps", "momentumDecay", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const psi = checkNumber(owner, "momentumDecay", options.momentumDecay ?? 4e-3, "[0, inf)");
  return {
    config: (state) => ({ "betas[0]": hyperAt(b1, state.count), "betas[1]": b2, eps, momentumDecay: psi }),
    init: (params) => ({
      count: 0,
      muProduct: 1,
      expAvg: buffersLike(params),
      expAvgSq: buffersLike(params),
    }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc2 = 1 - b2 ** t;
      const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      const muProduct = state.muProduct * mu;
      const cGrad = (1 - mu) / (1 - muProduct);
      const cAvg = muNext / (1 - muProduct * muNext);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = beta1 * m[j]! + (1 - beta1) * g;
          v[j] = b2 * v[j]! + (1 - b2) * g * g;
          const d = Math.sqrt(v[j]! / bc2) + eps;
          u[j] = (cGrad * g) / d + (cAvg * m[j]!) / d;
        }
      }
      state.muProduct = muProduct;
      state.count = t;
      return updates;
    },
  };
}
