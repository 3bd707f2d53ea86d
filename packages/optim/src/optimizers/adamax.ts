import { scaleByAdamax } from "../transforms/scale-by-adamax.js";
import { alias, ascent, common, decay } from "./common.js";
import { betas, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { betaPair, fusionBase } from "./fusion.js";

const options = {
  ...common(2e-3, 0),
  /** (β1, β2): decay rates of the gradient's running average and of the infinity norm, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to |g| in the infinity norm, for numerical stability; ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
};

/** Options of `adamax`: `torch.optim.Adamax`'s. */
export type AdamaxOptions = OptionsOf<typeof options>;

/** `torch.optim.Adamax`: `g ← ±g + λp` (L2), Adamax's preconditioner, `p ← p − lr·x`. Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8. */
export const adamax = declareOptimizer({
  name: "adamax",
  title: "Adamax",
  decay: "l2",
  reference: { pytorch: "torch.optim.Adamax", optax: "optax.adamax" },
  options,
  build: (o) =>
    alias("adamax", o.lr, [
      ...ascent(o.maximize),
      ...decay("adamax", o.weightDecay, o.mask),
      scaleByAdamax({ betas: o.betas, eps: o.eps, owner: "adamax" }),
    ]),
  fusion: (o) => ({
    kind: "adamax",
    ...fusionBase("adamax", o),
    ...betaPair(o),
    eps: o.eps,
    l2: o.weightDecay,
    decoupled: 0,
  }),
});
