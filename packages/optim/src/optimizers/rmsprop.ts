import { checkHyper, type Hyper } from "../hyper.js";
import { scaleByRms } from "../transforms/scale-by-rms.js";
import { trace } from "../transforms/trace.js";
import { active, alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `rmsprop`: `torch.optim.RMSprop`'s. */
export interface RmspropOptions extends CommonOptions {
  /** Smoothing constant α of the running average of squared gradients, in [0, 1]. Default 0.99. */
  alpha?: number;
  /** Added to the denominator √s for numerical stability, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Momentum factor in [0, 1] (a number or a schedule); 0 keeps no momentum buffer. Default 0. */
  momentum?: Hyper;
  /** Normalize by the gradient's estimated variance (s − mean²) instead of its second moment. Default false. */
  centered?: boolean;
}

/**
 * `torch.optim.RMSprop`: `g ← ±g + λp`, `s ← αs + (1−α)g²` (centered: minus the squared running
 * mean), `x = g/(√s + ε)`, optional momentum `b ← μb + x`, `p ← p − lr·(b or x)`.
 * Defaults: lr 0.01, alpha 0.99, eps 1e-8.
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  const owner = "rmsprop";
  const c = commonOptions(owner, options, ["alpha", "eps", "momentum", "centered"], {
    lr: 0.01,
    weightDecay: 0,
  });
  const momentum = checkHyper(owner, "momentum", options.momentum ?? 0, "[0, 1]");
  const tx = alias(owner, c.lr, [
    ...ascent(c.maximize),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByRms({ alpha: options.alpha, eps: options.eps, centered: options.centered, owner }),
    ...(active(momentum) ? [trace({ momentum, owner })] : []),
  ]);
  const numbers = {
    alpha: options.alpha ?? 0.99,
    eps: options.eps ?? 1e-8,
    centered: options.centered ?? false,
  };
  return describe(tx, {
    kind: "rmsprop",
    owner,
    ...c,
    ...numbers,
    momentum,
    l2: c.weightDecay,
    decoupled: 0,
  });
}
