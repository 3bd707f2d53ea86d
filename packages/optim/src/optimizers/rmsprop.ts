import { scaleByRms } from "../transforms/scale-by-rms.js";
import { trace } from "../transforms/trace.js";
import { active, alias, ascent, common, decay, stateStorage, storage } from "./common.js";
import { bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { fusionBase } from "./fusion.js";

const options = {
  ...common(0.01, 0),
  /** Smoothing constant α of the running average of squared gradients, in [0, 1]. Default 0.99. */
  alpha: num(0.99, "[0, 1]"),
  /** Added to the denominator √s for numerical stability, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Momentum factor in [0, 1] (a number or a schedule); 0 keeps no momentum buffer. Default 0. */
  momentum: num(0, "[0, 1]", { schedulable: true }),
  /** Normalize by the gradient's estimated variance (s − mean²) instead of its second moment. Default false. */
  centered: bool(false),
  ...stateStorage(),
};

/** Options of `rmsprop`: `torch.optim.RMSprop`'s. */
export type RmspropOptions = OptionsOf<typeof options>;

/**
 * `torch.optim.RMSprop`: `g ← ±g + λp`, `s ← αs + (1−α)g²` (centered: minus the squared running
 * mean), `x = g/(√s + ε)`, optional momentum `b ← μb + x`, `p ← p − lr·(b or x)`.
 * Defaults: lr 0.01, alpha 0.99, eps 1e-8.
 */
export const rmsprop = declareOptimizer({
  name: "rmsprop",
  title: "RMSprop",
  decay: "l2",
  reference: { pytorch: "torch.optim.RMSprop", optax: "optax.rmsprop" },
  options,
  build: (o) =>
    alias("rmsprop", o.lr, [
      ...ascent(o.maximize),
      ...decay("rmsprop", o.weightDecay, o.mask),
      scaleByRms({ alpha: o.alpha, eps: o.eps, centered: o.centered, ...storage(o), owner: "rmsprop" }),
      // compact state: the momentum's rounding draws a stream of its own (scaleByRms uses 0 and 1)
      ...(active(o.momentum)
        ? [
            trace({
              momentum: o.momentum,
              ...storage(o),
              ...(o.stateDtype ? { stateStream: 2 } : {}),
              owner: "rmsprop",
            }),
          ]
        : []),
    ]),
  fusion: (o) => ({
    kind: "rmsprop",
    ...fusionBase("rmsprop", o),
    alpha: o.alpha,
    eps: o.eps,
    centered: o.centered,
    momentum: o.momentum,
    l2: o.weightDecay,
    decoupled: 0,
  }),
});
