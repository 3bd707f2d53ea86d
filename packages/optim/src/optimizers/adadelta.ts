import { scaleByAdadelta } from "../transforms/scale-by-adadelta.js";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `adadelta`: `torch.optim.Adadelta`'s. */
export interface AdadeltaOptions extends CommonOptions {
  /** Decay rate ρ of the running averages of squared gradients and squared updates, in [0, 1]. Default 0.9. */
  rho?: number;
  /** Added inside both square roots for numerical stability, ≥ 0. Default 1e-6. */
  eps?: number;
}

/** `torch.optim.Adadelta`: `g ← ±g + λp`, then Adadelta's RMS ratio, `p ← p − lr·δ`. Defaults: lr 1, rho 0.9, eps 1e-6. */
export function adadelta(options: AdadeltaOptions = {}): Optimizer {
  const owner = "adadelta";
  const c = commonOptions(owner, options, ["rho", "eps"], { lr: 1, weightDecay: 0 });
  const tx = alias(owner, c.lr, [
    ...ascent(c.maximize),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByAdadelta({ rho: options.rho, eps: options.eps, owner }),
  ]);
  return describe(tx, {
    kind: "adadelta",
    owner,
    ...c,
    rho: options.rho ?? 0.9,
    eps: options.eps ?? 1e-6,
    l2: c.weightDecay,
    decoupled: 0,
  });
}
