import { checkBoolean, type Hyper } from "../hyper.js";
import { checkBetas, scaleByAdam } from "../transforms/scale-by-adam.js";
import { scaleByTrustRatio } from "../transforms/scale-by-trust-ratio.js";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `lamb`: Optax's `lamb`'s. */
export interface LambOptions extends CommonOptions {
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator of Adam's direction for numerical stability, ≥ 0. Default 1e-6. */
  eps?: number;
  /** Divide the moments by 1 − βᵗ as Adam does (default true). */
  biasCorrection?: boolean;
}

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning", Algorithm 2), as Optax's
 * `lamb` composes it: Adam's direction `r = m̂/(√v̂ + ε)`, plus `λ·p` (decay inside the ratio, as
 * in the paper), then per leaf the trust ratio `‖p‖/‖r + λp‖` (1 when either norm is 0), then −lr:
 * `p ← p − lr_t · ‖p‖/‖r + λp‖ · (r + λp)`. Defaults (Optax's): lr 1e-3, betas [0.9, 0.999],
 * eps 1e-6, weightDecay 0, biasCorrection true. `mask` limits the decay; the trust ratio applies to
 * every leaf. Put `clipByGlobalNorm` in front for the global gradient clipping NVIDIA's version adds.
 */
export function lamb(options: LambOptions = {}): Optimizer {
  const owner = "lamb";
  const c = commonOptions(owner, options, ["betas", "eps", "biasCorrection"], { lr: 1e-3, weightDecay: 0 });
  const biasCorrection = checkBoolean(owner, "biasCorrection", options.biasCorrection ?? true);
  const moments = { betas: options.betas, eps: options.eps ?? 1e-6, owner };
  const tx = alias(owner, c.lr, [
    ...ascent(c.maximize),
    scaleByAdam({ ...moments, biasCorrection }),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByTrustRatio({ owner }),
  ]);
  const [beta1, beta2] = checkBetas(owner, options.betas);
  return describe(tx, {
    kind: "lamb",
    owner,
    ...c,
    beta1,
    beta2,
    eps: moments.eps,
    biasCorrection,
    l2: 0,
    decoupled: c.weightDecay,
  });
}
