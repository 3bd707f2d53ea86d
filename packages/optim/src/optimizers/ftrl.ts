import { chain } from "../transform.js";
import { scaleByFtrl } from "../transforms/scale-by-ftrl.js";
import { ascent, type Optimizer } from "./common.js";
import { bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";

const options = {
  /** Learning rate α, ≥ 0: a number, or a schedule of the update count (at 0 nothing moves). Default 1e-3. */
  lr: num(1e-3, "[0, inf)", { schedulable: true }),
  /** The power of the accumulator in the per-coordinate rate, ≤ 0 (−½: AdaGrad-like). Default -0.5. */
  lrPower: num(-0.5, "(-inf, 0]"),
  /** The value the accumulator of squared gradients starts at, ≥ 0. Default 0.1. */
  initialAccumulatorValue: num(0.1, "[0, inf)"),
  /** L1 strength, ≥ 0: a coordinate whose accumulated |z| ≤ it is exactly 0. Default 0. */
  l1RegularizationStrength: num(0, "[0, inf)"),
  /** L2 strength, ≥ 0 (in the proximal step's denominator). Default 0. */
  l2RegularizationStrength: num(0, "[0, inf)"),
  /** L2 shrinkage, ≥ 0: 2·λ·p added to the gradient the linear term accumulates. Default 0. */
  l2ShrinkageRegularizationStrength: num(0, "[0, inf)"),
  /** β, ≥ 0: adds β/(2·lr) to the L2 strength. Default 0. */
  beta: num(0, "[0, inf)"),
  /** Maximize the objective instead of minimizing it: the gradient is negated first. Default false. */
  maximize: bool(false),
};

/** Options of `ftrl`: Keras's `Ftrl`'s, in camelCase (`learning_rate → lr`, `learning_rate_power → lrPower`). */
export type FtrlOptions = OptionsOf<typeof options>;

/**
 * FTRL-Proximal (McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches", KDD; Keras's
 * `keras.optimizers.Ftrl`, op for op): `[±] → scaleByFtrl`. Follow-the-regularized-leader with
 * per-coordinate rates: the params are recomputed each step from an accumulated linear term, and
 * the L1 strength sets coordinates exactly to zero — the sparse linear models of online
 * advertising. Keras's `weight_decay` and clipping are separate transforms here.
 * Defaults (Keras's): lr 1e-3, lrPower −0.5, initialAccumulatorValue 0.1, the strengths and β 0.
 */
export const ftrl = declareOptimizer({
  name: "ftrl",
  title: "FTRL",
  reference: { keras: "keras.optimizers.Ftrl", code: "keras-team/keras" },
  options,
  build: (o) =>
    // one transform: the params are set from FTRL's own state, so no `scaleByLearningRate` follows
    chain(
      ...ascent(o.maximize),
      scaleByFtrl({
        lr: o.lr,
        lrPower: o.lrPower,
        initialAccumulatorValue: o.initialAccumulatorValue,
        l1RegularizationStrength: o.l1RegularizationStrength,
        l2RegularizationStrength: o.l2RegularizationStrength,
        l2ShrinkageRegularizationStrength: o.l2ShrinkageRegularizationStrength,
        beta: o.beta,
        owner: "ftrl",
      }),
    ) as Optimizer,
});
