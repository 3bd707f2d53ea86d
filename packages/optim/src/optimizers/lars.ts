import { chain } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import { scaleByLearningRate } from "../transforms/scale-by-learning-rate.js";
import { scaleByTrustRatio } from "../transforms/scale-by-trust-ratio.js";
import { trace } from "../transforms/trace.js";
import { active, ascent, common, type Optimizer } from "./common.js";
import { bool, declareOptimizer, mask, num, type OptionsOf } from "./declaration.js";

const options = {
  ...common(1, 0),
  /** The trust coefficient η > 0: each leaf's step is lr·η·‖p‖ in size before momentum. Default 0.001. */
  trustCoefficient: num(0.001, "(0, inf)"),
  /** Added to the update's norm in the trust ratio, ≥ 0. Default 0. */
  eps: num(0, "[0, inf)"),
  /** Which leaves get the trust ratio: a predicate or a tree of booleans (e.g. `excludeBiasAndNorm`). Default: all. */
  trustRatioMask: mask(),
  /** Momentum μ in [0, 1] (may follow a schedule), applied after the lr. Default 0.9. */
  momentum: num(0.9, "[0, 1]", { schedulable: true }),
  /** Nesterov momentum. Default false. */
  nesterov: bool(false),
};

/** Options of `lars`: Optax's `lars`'s (`weight_decay_mask` is `mask`, as everywhere in momenta). */
export type LarsOptions = OptionsOf<typeof options>;

/**
 * LARS (You et al. 2017, "Large Batch Training of Convolutional Networks"; Optax's `lars`):
 * `[±] → +λp → ×η·‖p‖/(‖u‖ + ε) per leaf → −lr → momentum`. Each layer's step is set relative to
 * its weights' norm, whatever its gradient's scale — what lets a batch of 32k train as well as one
 * of 256. The decay is added before the trust ratio (so it is part of the direction, as L2), and the
 * momentum accumulates lr-scaled steps, as in Optax. Defaults (Optax's, lr aside): lr 1,
 * trustCoefficient 0.001, eps 0, momentum 0.9, weightDecay 0.
 */
export const lars = declareOptimizer({
  name: "lars",
  title: "LARS",
  decay: "l2",
  reference: { optax: "optax.lars" },
  options,
  build: (o) => {
    if (o.nesterov && !active(o.momentum)) throw new RangeError("lars: nesterov requires momentum > 0");
    return chain(
      ...ascent(o.maximize),
      ...(active(o.weightDecay) ? [addDecayedWeights(o.weightDecay, { mask: o.mask, owner: "lars" })] : []),
      scaleByTrustRatio({
        trustCoefficient: o.trustCoefficient,
        eps: o.eps,
        mask: o.trustRatioMask,
        owner: "lars",
      }),
      scaleByLearningRate(o.lr, "lars"),
      ...(active(o.momentum) ? [trace({ momentum: o.momentum, nesterov: o.nesterov, owner: "lars" })] : []),
    ) as Optimizer;
  },
});
