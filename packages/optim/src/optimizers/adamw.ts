import { scaleByAdam } from "../transforms/scale-by-adam.js";
import { ADAM_OPTIONS, type AdamOptions, adamNumbers } from "./adam.js";
import { commonOptions, type DecayWith, decoupled, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `adamw`: Adam's, and how the decoupled decay is scaled. */
export interface AdamwOptions extends AdamOptions {
  /** "lr" (default, PyTorch): p ← p·(1 − lr_t·λ); "multiplier" (the AdamW paper): p ← p·(1 − η_t·λ). */
  decayWith?: DecayWith;
}

/**
 * `torch.optim.AdamW`: Adam's preconditioner, then decoupled weight decay,
 * `p ← p − lr_t·(x + λ_t·p)` — the same as PyTorch's `p ← p·(1 − lr_t·λ_t) − lr_t·x`. The decay
 * never enters the moments, so every weight shrinks at the same relative rate whatever its
 * gradient history. `decayWith: "multiplier"` gives the paper's η_t·λ instead. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01.
 */
export function adamw(options: AdamwOptions = {}): Optimizer {
  const owner = "adamw";
  const c = commonOptions(owner, options, [...ADAM_OPTIONS, "decayWith"], { lr: 1e-3, weightDecay: 0.01 });
  const pre = scaleByAdam({ betas: options.betas, eps: options.eps, amsgrad: options.amsgrad, owner });
  const tx = decoupled(owner, c, [pre], options.decayWith);
  if (options.decayWith === "multiplier") return tx;
  return describe(tx, {
    kind: "adam",
    owner,
    ...c,
    ...adamNumbers(owner, options),
    l2: 0,
    decoupled: c.weightDecay,
  });
}
