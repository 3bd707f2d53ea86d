import { scaleByNadam } from "../transforms/scale-by-nadam.js";
import { common, eitherDecay, eitherDecayOptions } from "./common.js";
import { betas, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { betaPair, eitherDecays, fusionBase } from "./fusion.js";

const options = {
  ...common(2e-3, 0),
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to the denominator for numerical stability, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** ψ of the momentum schedule `μ_t = β1·(1 − ½·0.96^(t·ψ))`, ≥ 0. Default 4e-3. */
  momentumDecay: num(4e-3, "[0, inf)"),
  ...eitherDecayOptions(),
};

/** Options of `nadam`: `torch.optim.NAdam`'s. */
export type NadamOptions = OptionsOf<typeof options>;

/**
 * `torch.optim.NAdam`: NAdam's preconditioner with L2 decay in the gradient, or decoupled decay
 * after it (NAdamW). Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, momentumDecay 4e-3.
 */
export const nadam = declareOptimizer({
  name: "nadam",
  title: "NAdam",
  decay: "either",
  reference: { pytorch: "torch.optim.NAdam", optax: "optax.nadam" },
  options,
  build: (o) =>
    eitherDecay(
      "nadam",
      o,
      scaleByNadam({ betas: o.betas, eps: o.eps, momentumDecay: o.momentumDecay, owner: "nadam" }),
    ),
  fusion: (o) => {
    const decays = eitherDecays(o.weightDecay, o);
    if (!decays) return undefined;
    return {
      kind: "nadam",
      ...fusionBase("nadam", o),
      ...betaPair(o),
      eps: o.eps,
      momentumDecay: o.momentumDecay,
      ...decays,
    };
  },
});
