import { scaleByAdan } from "../transforms/scale-by-adan.js";
import { common, decoupled } from "./common.js";
import { declareOptimizer, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(1e-3, 0),
  /** (β1, β2, β3): the gradient's, the gradient change's and the squared look-ahead's decay rates, each in [0, 1). Default [0.98, 0.92, 0.99]. */
  betas: tuple<readonly [number, number, number]>("three numbers [beta1, beta2, beta3]", [
    num(0.98, "[0, 1)"),
    num(0.92, "[0, 1)"),
    num(0.99, "[0, 1)"),
  ]),
  /** Added to the denominator √n̂, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Added to n̂ inside the square root, ≥ 0. Default 1e-8 (Optax's `adan`). */
  epsRoot: num(1e-8, "[0, inf)"),
};

/** Options of `adan`: Optax's `adan`'s. */
export type AdanOptions = OptionsOf<typeof options>;

/**
 * Adan (Xie et al. 2022, "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
 * Models", Algorithm 1; Optax's `adan`): `[±] → scaleByAdan → +λp → −lr`. Nesterov momentum without
 * an extra gradient evaluation: the change of the gradient between updates stands in for the
 * look-ahead. Weight decay is decoupled, added after the preconditioner as Optax does (the
 * authors' code divides by 1 + lr·λ instead; the two agree to first order in lr·λ). Defaults: lr 1e-3,
 * betas [0.98, 0.92, 0.99], eps 1e-8, epsRoot 1e-8.
 */
export const adan = declareOptimizer({
  name: "adan",
  title: "Adan",
  decay: "decoupled",
  reference: { optax: "optax.adan", code: "sail-sg/Adan" },
  options,
  build: (o) =>
    decoupled("adan", o, [scaleByAdan({ betas: o.betas, eps: o.eps, epsRoot: o.epsRoot, owner: "adan" })]),
});
