import { scaleByAdam } from "../transforms/scale-by-adam.js";
import { scaleByTrustRatio } from "../transforms/scale-by-trust-ratio.js";
import { alias, ascent, common, decay, stateStorage, storage } from "./common.js";
import { betas, bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { betaPair, fusionBase } from "./fusion.js";

const options = {
  ...common(1e-3, 0),
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to the denominator of Adam's direction for numerical stability, ≥ 0. Default 1e-6. */
  eps: num(1e-6, "[0, inf)"),
  /** Divide the moments by 1 − βᵗ as Adam does (default true). */
  biasCorrection: bool(true),
  ...stateStorage(),
};

/** Options of `lamb`: Optax's `lamb`'s. */
export type LambOptions = OptionsOf<typeof options>;

/**
 * LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning", Algorithm 2), as Optax's
 * `lamb` composes it: Adam's direction `r = m̂/(√v̂ + ε)`, plus `λ·p` (decay inside the ratio, as
 * in the paper), then per leaf the trust ratio `‖p‖/‖r + λp‖` (1 when either norm is 0), then −lr:
 * `p ← p − lr_t · ‖p‖/‖r + λp‖ · (r + λp)`. Defaults (Optax's): lr 1e-3, betas [0.9, 0.999],
 * eps 1e-6, weightDecay 0, biasCorrection true. `mask` limits the decay; the trust ratio applies to
 * every leaf. Put `clipByGlobalNorm` in front for the global gradient clipping NVIDIA's version adds.
 */
export const lamb = declareOptimizer({
  name: "lamb",
  title: "LAMB",
  decay: "decoupled",
  reference: { optax: "optax.lamb" },
  options,
  build: (o) =>
    alias("lamb", o.lr, [
      ...ascent(o.maximize),
      scaleByAdam({
        betas: o.betas,
        eps: o.eps,
        biasCorrection: o.biasCorrection,
        ...storage(o),
        owner: "lamb",
      }),
      ...decay("lamb", o.weightDecay, o.mask),
      scaleByTrustRatio({ owner: "lamb" }),
    ]),
  fusion: (o) => ({
    kind: "lamb",
    ...fusionBase("lamb", o),
    ...betaPair(o),
    eps: o.eps,
    biasCorrection: o.biasCorrection,
    l2: 0,
    decoupled: o.weightDecay,
  }),
});
