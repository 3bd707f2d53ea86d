import { scaleByAdam } from "../transforms/scale-by-adam.ts";
import { ADAM_OPTIONS, type AdamOptions } from "./adam.ts";
import { alias, ascent, commonOptions, decay, type Optimizer } from "./common.ts";

/**
 * `torch.optim.AdamW`: Adam's preconditioner, then decoupled weight decay,
 * `p ← p − lr_t·(x + λ_t·p)` — the same as PyTorch's `p ← p·(1 − lr_t·λ_t) − lr_t·x`. The decay
 * never enters the moments, so every weight shrinks at the same relative rate whatever its
 * gradient history. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01.
 */
export function adamw(options: AdamOptions = {}): Optimizer {
  const owner = "adamw";
  const c = commonOptions(owner, options, ADAM_OPTIONS, { lr: 1e-3, weightDecay: 0.01 });
  return alias(owner, c.lr, [
    ...ascent(c.maximize),
    scaleByAdam({ betas: options.betas, eps: options.eps, amsgrad: options.amsgrad, owner }),
    ...decay(owner, c.weightDecay, c.mask),
  ]);
}
