import { chain } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import { scaleByAsgd } from "../transforms/scale-by-asgd.js";
import { ascent, type Optimizer } from "./common.js";
import { bool, declareOptimizer, mask, num, type OptionsOf } from "./declaration.js";

const options = {
  /** Base learning rate, ≥ 0: the first step's η (η then falls as lr / (1 + λ·lr·t)^α). Default 0.01. */
  lr: num(0.01, "[0, inf)"),
  /** L2 weight decay, ≥ 0: λ_wd·p added to the gradient (coupled, as PyTorch's ASGD). Default 0. */
  weightDecay: num(0, "[0, inf)"),
  /** Maximize the objective instead of minimizing it: the gradient is negated first. Default false. */
  maximize: bool(false),
  /** Which leaves weight decay applies to (by path, or a tree of booleans). Default: all. */
  mask: mask(),
  /** λ ≥ 0: the decay term p·(1 − λη) and how fast η falls. Default 1e-4. */
  lambd: num(1e-4, "[0, inf)"),
  /** α ≥ 0: the power η falls with. Default 0.75. */
  alpha: num(0.75, "[0, inf)"),
  /** The update count after which averaging starts, ≥ 0 (before it the average is the params). Default 1e6. */
  t0: num(1e6, "[0, inf)"),
};

/** Options of `asgd`: PyTorch's `ASGD`'s, in camelCase (`weight_decay → weightDecay`). */
export type AsgdOptions = OptionsOf<typeof options>;

/**
 * Averaged SGD (Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by Averaging";
 * PyTorch's `torch.optim.ASGD`, op for op): `[±] → [+λ_wd·p] → scaleByAsgd`. SGD with a step
 * size falling as lr / (1 + λ·lr·t)^α and a running average of the iterates after t0 updates —
 * the average, not the last iterate, is the estimate with the optimal rate. Evaluate with the
 * average: `opt.buffers.ax` (PyTorch's `state["ax"]`), one array per leaf.
 * Defaults (PyTorch's): lr 0.01, lambd 1e-4, alpha 0.75, t0 1e6, weightDecay 0.
 */
export const asgd = declareOptimizer({
  name: "asgd",
  title: "ASGD",
  decay: "l2",
  reference: { pytorch: "torch.optim.ASGD" },
  options,
  build: (o) =>
    chain(
      ...ascent(o.maximize),
      ...(o.weightDecay > 0 ? [addDecayedWeights(o.weightDecay, { mask: o.mask, owner: "asgd" })] : []),
      scaleByAsgd({ lr: o.lr, lambd: o.lambd, alpha: o.alpha, t0: o.t0, owner: "asgd" }),
    ) as Optimizer,
});
