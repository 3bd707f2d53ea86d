import { type Hyper, valueAt } from "../hyper.js";
import { scaleByRss } from "../transforms/scale-by-rss.js";
import { alias, ascent, common, decay, stateStorage, storage } from "./common.js";
import { declareOptimizer, num, type OptionsOf } from "./declaration.js";

const options = {
  ...common(0.01, 0),
  /** Learning-rate decay: step t uses lr_t / (1 + t·lrDecay); ≥ 0. Default 0. */
  lrDecay: num(0, "[0, inf)"),
  /** Starting value of the sum of squared gradients, ≥ 0. Default 0. */
  initialAccumulatorValue: num(0, "[0, inf)"),
  /** Added to the denominator √s for numerical stability, ≥ 0. Default 1e-10. */
  eps: num(1e-10, "[0, inf)"),
  ...stateStorage(),
};

/** Options of `adagrad`: `torch.optim.Adagrad`'s. */
export type AdagradOptions = OptionsOf<typeof options>;

/** lr_t / (1 + t·lrDecay), t the updates already applied. */
function decayedLr(lr: Hyper, lrDecay: number): Hyper {
  return lrDecay === 0
    ? lr
    : (count: number) => valueAt("adagrad", "lr", lr, count, "[0, inf)") / (1 + count * lrDecay);
}

/**
 * `torch.optim.Adagrad`: `g ← ±g + λp`, `s ← s + g²`, `p ← p − lr_t/(1 + t·lrDecay) · g/(√s + ε)`
 * with t the updates already applied. Defaults: lr 0.01, lrDecay 0, eps 1e-10.
 */
export const adagrad = declareOptimizer({
  name: "adagrad",
  title: "Adagrad",
  decay: "l2",
  reference: { pytorch: "torch.optim.Adagrad", optax: "optax.adagrad" },
  options,
  build: (o) =>
    alias("adagrad", decayedLr(o.lr, o.lrDecay), [
      ...ascent(o.maximize),
      ...decay("adagrad", o.weightDecay, o.mask),
      scaleByRss({
        initialAccumulatorValue: o.initialAccumulatorValue,
        eps: o.eps,
        ...storage(o),
        owner: "adagrad",
      }),
    ]),
  fusion: (o) => ({
    kind: "adagrad",
    owner: "adagrad",
    lr: decayedLr(o.lr, o.lrDecay),
    maximize: o.maximize,
    mask: o.mask,
    eps: o.eps,
    l2: o.weightDecay,
    decoupled: 0,
  }),
});
