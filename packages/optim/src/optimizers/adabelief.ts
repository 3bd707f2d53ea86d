import { scaleByBelief } from "../transforms/scale-by-belief.js";
import { common, decoupled } from "./common.js";
import { betas, bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";

const options = {
  ...common(1e-3, 0),
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to the denominator √ŝ, ≥ 0. Default 1e-16. */
  eps: num(1e-16, "[0, inf)"),
  /** Added to s at every update, inside the square root, ≥ 0. Default 1e-16. */
  epsRoot: num(1e-16, "[0, inf)"),
  /** Use the Nesterov form of the first moment. Default false. */
  nesterov: bool(false),
};

/** Options of `adabelief`: Optax's `adabelief`'s, and decoupled weight decay. */
export type AdabeliefOptions = OptionsOf<typeof options>;

/**
 * AdaBelief (Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
 * Gradients", NeurIPS; Optax's `adabelief`, the authors' `adabelief-pytorch`): `[±] → scaleByBelief
 * → +λp → −lr`. The denominator is the spread of the gradient around its average, `(g − m)²`, not
 * `g²`: where the gradient is predictable (a steady slope) the step grows; where it is surprising it
 * shrinks. Weight decay, when given, is decoupled (the authors' `weight_decouple`). Defaults: lr 1e-3,
 * betas [0.9, 0.999], eps 1e-16, epsRoot 1e-16.
 */
export const adabelief = declareOptimizer({
  name: "adabelief",
  title: "AdaBelief",
  decay: "decoupled",
  reference: { optax: "optax.adabelief", code: "juntang-zhuang/Adabelief-Optimizer" },
  options,
  build: (o) =>
    decoupled("adabelief", o, [
      scaleByBelief({
        betas: o.betas,
        eps: o.eps,
        epsRoot: o.epsRoot,
        nesterov: o.nesterov,
        owner: "adabelief",
      }),
    ]),
});
