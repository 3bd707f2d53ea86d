import type { Hyper } from "../hyper.js";
import { scaleByAdemamix } from "../transforms/scale-by-ademamix.js";
import { common, decoupled } from "./common.js";
import { declareOptimizer, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(1e-3, 0),
  /**
   * (β1, β2, β3): the fast average's, the second moment's and the slow average's decay rates, each
   * in [0, 1); β3 may follow a schedule (the paper warms it up). Default [0.9, 0.999, 0.9999].
   */
  betas: tuple<readonly [number, number, Hyper]>("three values [beta1, beta2, beta3]", [
    num(0.9, "[0, 1)"),
    num(0.999, "[0, 1)"),
    num(0.9999, "[0, 1)", { schedulable: true }),
  ]),
  /** The slow average's weight α ≥ 0 (may follow a schedule; the paper warms it up). Default 5. */
  alpha: num(5, "[0, inf)", { schedulable: true }),
  /** Added to the denominator √v̂, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Added to v̂ inside the square root, ≥ 0. Default 0. */
  epsRoot: num(0, "[0, inf)"),
};

/** Options of `ademamix`: Optax's `contrib.ademamix`'s. */
export type AdemamixOptions = OptionsOf<typeof options>;

/**
 * AdEMAMix (Pagliardini et al. 2024, "The AdEMAMix Optimizer: Better, Faster, Older"; Optax's
 * `contrib.ademamix`, the authors' apple/ml-ademamix): `[±] → scaleByAdemamix → +λp → −lr` — Adam's
 * step plus α times a slow average of the gradient (β3 ≈ 0.9999), which keeps gradients from
 * thousands of steps ago in play. For long runs the paper warms α and β3 up over the first steps
 * (give schedules). Weight decay is decoupled. Defaults: lr 1e-3, betas [0.9, 0.999, 0.9999], alpha 5,
 * eps 1e-8.
 */
export const ademamix = declareOptimizer({
  name: "ademamix",
  title: "AdEMAMix",
  decay: "decoupled",
  reference: { optax: "optax.contrib.ademamix", code: "apple/ml-ademamix" },
  options,
  build: (o) =>
    decoupled("ademamix", o, [
      scaleByAdemamix({ betas: o.betas, alpha: o.alpha, eps: o.eps, epsRoot: o.epsRoot, owner: "ademamix" }),
    ]),
});
