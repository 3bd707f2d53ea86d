import { scaleByAdam } from "../transforms/scale-by-adam.js";
import { adamOptions } from "./adam.js";
import { decayWith, decoupled, storage } from "./common.js";
import { declareOptimizer, type OptionsOf } from "./declaration.js";
import { betaPair, fusionBase } from "./fusion.js";

const options = { ...adamOptions(1e-3, 0.01), ...decayWith() };

/** Options of `adamw`: Adam's, and how the decoupled decay is scaled. */
export type AdamwOptions = OptionsOf<typeof options>;

/**
 * `torch.optim.AdamW`: Adam's preconditioner, then decoupled weight decay,
 * `p ← p − lr_t·(x + λ_t·p)` — the same as PyTorch's `p ← p·(1 − lr_t·λ_t) − lr_t·x`. The decay
 * never enters the moments, so every weight shrinks at the same relative rate whatever its
 * gradient history. `decayWith: "multiplier"` gives the paper's η_t·λ instead. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01.
 */
export const adamw = declareOptimizer({
  name: "adamw",
  title: "AdamW",
  decay: "decoupled",
  reference: { pytorch: "torch.optim.AdamW", optax: "optax.adamw" },
  options,
  build: (o) =>
    decoupled(
      "adamw",
      o,
      [scaleByAdam({ betas: o.betas, eps: o.eps, amsgrad: o.amsgrad, ...storage(o), owner: "adamw" })],
      o.decayWith,
    ),
  fusion: (o) =>
    o.decayWith === "multiplier"
      ? undefined
      : {
          kind: "adam",
          ...fusionBase("adamw", o),
          ...betaPair(o),
          eps: o.eps,
          amsgrad: o.amsgrad,
          l2: 0,
          decoupled: o.weightDecay,
        },
});
