import type { Hyper } from "../hyper.js";
import { checkBetas } from "../transforms/scale-by-adam.js";
import { scaleByAdamax } from "../transforms/scale-by-adamax.js";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `adamax`: `torch.optim.Adamax`'s. */
export interface AdamaxOptions extends CommonOptions {
  /** (β1, β2): decay rates of the gradient's running average and of the infinity norm, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to |g| in the infinity norm, for numerical stability; ≥ 0. Default 1e-8. */
  eps?: number;
}

/** `torch.optim.Adamax`: `g ← ±g + λp` (L2), Adamax's preconditioner, `p ← p − lr·x`. Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8. */
export function adamax(options: AdamaxOptions = {}): Optimizer {
  const owner = "adamax";
  const c = commonOptions(owner, options, ["betas", "eps"], { lr: 2e-3, weightDecay: 0 });
  const tx = alias(owner, c.lr, [
    ...ascent(c.maximize),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByAdamax({ betas: options.betas, eps: options.eps, owner }),
  ]);
  const [beta1, beta2] = checkBetas(owner, options.betas);
  return describe(tx, {
    kind: "adamax",
    owner,
    ...c,
    beta1,
    beta2,
    eps: options.eps ?? 1e-8,
    l2: c.weightDecay,
    decoupled: 0,
  });
}
