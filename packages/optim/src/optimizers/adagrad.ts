import { checkNumber, valueAt } from "../hyper.js";
import { scaleByRss } from "../transforms/scale-by-rss.js";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `adagrad`: `torch.optim.Adagrad`'s. */
export interface AdagradOptions extends CommonOptions {
  /** Learning-rate decay: step t uses lr_t / (1 + t·lrDecay); ≥ 0. Default 0. */
  lrDecay?: number;
  /** Starting value of the sum of squared gradients, ≥ 0. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator √s for numerical stability, ≥ 0. Default 1e-10. */
  eps?: number;
}

/**
 * `torch.optim.Adagrad`: `g ← ±g + λp`, `s ← s + g²`, `p ← p − lr_t/(1 + t·lrDecay) · g/(√s + ε)`
 * with t the updates already applied. Defaults: lr 0.01, lrDecay 0, eps 1e-10.
 */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  const owner = "adagrad";
  const c = commonOptions(owner, options, ["lrDecay", "initialAccumulatorValue", "eps"], {
    lr: 0.01,
    weightDecay: 0,
  });
  const lrDecay = checkNumber(owner, "lrDecay", options.lrDecay ?? 0, "[0, inf)");
  const lr =
    lrDecay === 0
      ? c.lr
      : (count: number) => valueAt(owner, "lr", c.lr, count, "[0, inf)") / (1 + count * lrDecay);
  const tx = alias(owner, lr, [
    ...ascent(c.maximize),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByRss({ initialAccumulatorValue: options.initialAccumulatorValue, eps: options.eps, owner }),
  ]);
  return describe(tx, {
    kind: "adagrad",
    owner,
    ...c,
    lr,
    eps: options.eps ?? 1e-10,
    l2: c.weightDecay,
    decoupled: 0,
  });
}
