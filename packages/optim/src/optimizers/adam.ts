import { scaleByAdam } from "../transforms/scale-by-adam.js";
import { alias, ascent, common, decay, stateStorage, storage } from "./common.js";
import { betas, bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { betaPair, fusionBase } from "./fusion.js";

/** Adam's options (and, with decoupled decay, AdamW's): `torch.optim.Adam`'s. */
export function adamOptions(lr: number, weightDecay: number) {
  return {
    ...common(lr, weightDecay),
    /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
    betas: betas(0.9, 0.999),
    /** Added to the denominator for numerical stability (after the bias correction, as PyTorch does), ≥ 0. Default 1e-8. */
    eps: num(1e-8, "[0, inf)"),
    /** Use the AMSGrad variant: divide by the largest second moment seen so far. Default false. */
    amsgrad: bool(false),
    ...stateStorage(),
  };
}

/** Options of `adam`: `torch.optim.Adam`'s. */
export type AdamOptions = OptionsOf<ReturnType<typeof adamOptions>>;

/**
 * `torch.optim.Adam`: `g ← ±g + λp` — weight decay as L2, added to the gradient and so passed
 * through the moments (use `adamw` for decoupled decay) — then Adam's preconditioner, `p ← p − lr·x`.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export const adam = declareOptimizer({
  name: "adam",
  title: "Adam",
  decay: "l2",
  reference: { pytorch: "torch.optim.Adam", optax: "optax.adam" },
  options: adamOptions(1e-3, 0),
  build: (o) =>
    alias("adam", o.lr, [
      ...ascent(o.maximize),
      ...decay("adam", o.weightDecay, o.mask),
      scaleByAdam({ betas: o.betas, eps: o.eps, amsgrad: o.amsgrad, ...storage(o), owner: "adam" }),
    ]),
  fusion: (o) => ({
    kind: "adam",
    ...fusionBase("adam", o),
    ...betaPair(o),
    eps: o.eps,
    amsgrad: o.amsgrad,
    l2: o.weightDecay,
    decoupled: 0,
  }),
});
