import { type Hyper, valueAt } from "../hyper.js";
import { chain, type GradientTransformation } from "../transform.js";
import { scaleByLearningRate } from "../transforms/scale-by-learning-rate.js";
import { scaleByRms } from "../transforms/scale-by-rms.js";
import { type ScheduleFreeState, scheduleFree } from "../wrappers/schedule-free.js";
import { ascent, common, decay } from "./common.js";
import { betas, bool, declareOptimizer, num, type OptionsOf, type Resolved } from "./declaration.js";
import { betaPair } from "./fusion.js";

/** γ_k: the lr with the linear warmup and the β2 bias correction √(1 − β2^(k+1)) folded in. */
function gammaOf(o: Resolved<typeof options>): Hyper {
  const { lr, warmupSteps: warmup } = o;
  const b2 = o.betas[1];
  return (k: number) =>
    valueAt("scheduleFreeAdamw", "lr", lr, k, "[0, inf)") *
    (k < warmup ? (k + 1) / warmup : 1) *
    Math.sqrt(1 - b2 ** (k + 1));
}

const options = {
  ...common(0.0025, 0),
  /**
   * β1 of the interpolation y = (1−β1)z + β1x (may follow a schedule) and β2 of the second moment,
   * each in [0, 1). Default [0.9, 0.999].
   */
  betas: betas(0.9, 0.999),
  /** Added to the denominator √v for numerical stability, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Linear warmup of the lr over this many updates (an integer ≥ 0): factor (k+1)/warmupSteps for k < warmupSteps. Default 0. */
  warmupSteps: num(0, "[0, inf)", { integer: true }),
  /** Polynomial weighting (k+1)^r in the average, r ≥ 0. Default 0. */
  r: num(0, "[0, inf)"),
  /** Power (≥ 0) of the largest lr so far in the averaging weights (0: no lr weighting). Default 2. */
  weightLrPower: num(2, "[0, inf)"),
  /** Apply the weight decay at z instead of y (the reference's `decay_at_z`). Default false. */
  decayAtZ: bool(false),
};

/** Options of `scheduleFreeAdamw`: those of the reference `AdamWScheduleFreeReference`. */
export type ScheduleFreeAdamwOptions = OptionsOf<typeof options>;

/**
 * Schedule-Free AdamW (Defazio et al. 2024), following facebookresearch/schedule_free's
 * `AdamWScheduleFreeReference` (and its production `AdamWScheduleFree`, which computes the same).
 * At update k (from 0), `γ_k = lr_k · min(1, (k+1)/warmupSteps) · √(1 − β2^(k+1))` — the β2 bias
 * correction is folded into the lr, not into v — and
 * `v ← β2·v + (1−β2)·g²`, `z ← z − γ_k·(g/(√v + ε) + λ·y)`, then the averaging of `scheduleFree`
 * (weights `(k+1)^r · max_{s≤k} γ_s ^ weightLrPower`), `x ← (1−c)x + c·z`, `y ← β1·x + (1−β1)·z`;
 * the params hold y. Composed as `scheduleFree([±] → scaleByRms(β2, ε) → +λp → −γ_k)`.
 * Evaluate (and save checkpoints you will evaluate) at x: `scheduleFreeEval(opt.state, opt.params)`,
 * then `scheduleFreeTrain(opt.state, opt.params)` before training on.
 * Defaults (the reference's): lr 0.0025, betas [0.9, 0.999], eps 1e-8, weightDecay 0, warmupSteps 0,
 * r 0, weightLrPower 2, decayAtZ false.
 */
export const scheduleFreeAdamw = declareOptimizer({
  name: "scheduleFreeAdamw",
  title: "Schedule-Free AdamW",
  decay: "decoupled",
  reference: {
    optax: "optax.contrib.schedule_free_adamw",
    code: "facebookresearch/schedule_free AdamWScheduleFreeReference",
  },
  options,
  build: (o): GradientTransformation<ScheduleFreeState> => {
    const owner = "scheduleFreeAdamw";
    const inner = chain(
      ...ascent(o.maximize),
      scaleByRms({ alpha: o.betas[1], eps: o.eps, owner }),
      ...decay(owner, o.weightDecay, o.mask),
      scaleByLearningRate(gammaOf(o), owner),
    );
    return scheduleFree(inner, {
      lr: gammaOf(o),
      beta1: o.betas[0],
      r: o.r,
      weightLrPower: o.weightLrPower,
      innerParams: o.decayAtZ ? "z" : "y",
      owner,
    });
  },
  // What the fused kernels run (kernels/kinds/schedule-free-adamw.ts).
  fusion: (o) => ({
    kind: "scheduleFreeAdamw",
    owner: "scheduleFreeAdamw",
    lr: o.lr,
    maximize: o.maximize,
    l2: 0,
    decoupled: o.weightDecay,
    mask: o.mask,
    ...betaPair(o),
    eps: o.eps,
    warmupSteps: o.warmupSteps,
    r: o.r,
    weightLrPower: o.weightLrPower,
    decayAtZ: o.decayAtZ,
  }),
});
