import type { Hyper } from "../hyper.js";
import { checkBetas, scaleByAdam } from "../transforms/scale-by-adam.js";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `adam` (and, through `AdamwOptions`, of `adamw`): `torch.optim.Adam`'s. */
export interface AdamOptions extends CommonOptions {
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator for numerical stability (after the bias correction, as PyTorch does), ≥ 0. Default 1e-8. */
  eps?: number;
  /** Use the AMSGrad variant: divide by the largest second moment seen so far. Default false. */
  amsgrad?: boolean;
}

/** The option names Adam's preconditioner adds to `CommonOptions`. */
export const ADAM_OPTIONS = ["betas", "eps", "amsgrad"] as const;

/**
 * `torch.optim.Adam`: `g ← ±g + λp` — weight decay as L2, added to the gradient and so passed
 * through the moments (use `adamw` for decoupled decay) — then Adam's preconditioner, `p ← p − lr·x`.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.
 */
export function adam(options: AdamOptions = {}): Optimizer {
  const owner = "adam";
  const c = commonOptions(owner, options, ADAM_OPTIONS, { lr: 1e-3, weightDecay: 0 });
  const tx = alias(owner, c.lr, [
    ...ascent(c.maximize),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByAdam({ betas: options.betas, eps: options.eps, amsgrad: options.amsgrad, owner }),
  ]);
  return describe(tx, {
    kind: "adam",
    owner,
    ...c,
    ...adamNumbers(owner, options),
    l2: c.weightDecay,
    decoupled: 0,
  });
}

/** The resolved betas, eps and amsgrad, for the fusion description. */
export function adamNumbers(owner: string, o: AdamOptions) {
  const [beta1, beta2] = checkBetas(owner, o.betas);
  return { beta1, beta2, eps: o.eps ?? 1e-8, amsgrad: o.amsgrad ?? false };
}
