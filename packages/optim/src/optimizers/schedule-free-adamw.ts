import { checkBoolean, checkInteger, checkNumber, type Hyper, valueAt } from "../hyper.js";
import { chain, type GradientTransformation } from "../transform.js";
import { checkBetas } from "../transforms/scale-by-adam.js";
import { scaleByLearningRate } from "../transforms/scale-by-learning-rate.js";
import { scaleByRms } from "../transforms/scale-by-rms.js";
import { type ScheduleFreeState, scheduleFree } from "../wrappers/schedule-free.js";
import { ascent, type CommonOptions, commonOptions, decay } from "./common.js";
import type { FusionSpec } from "./fusion.js";

/** Options of `scheduleFreeAdamw`: those of the reference `AdamWScheduleFreeReference`. */
export interface ScheduleFreeAdamwOptions extends CommonOptions {
  /**
   * β1 of the interpolation y = (1−β1)z + β1x (may follow a schedule) and β2 of the second moment,
   * each in [0, 1). Default [0.9, 0.999].
   */
  betas?: readonly [Hyper, number];
  /** Added to the denominator √v for numerical stability, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Linear warmup of the lr over this many updates (an integer ≥ 0): factor (k+1)/warmupSteps for k < warmupSteps. Default 0. */
  warmupSteps?: number;
  /** Polynomial weighting (k+1)^r in the average, r ≥ 0. Default 0. */
  r?: number;
  /** Power (≥ 0) of the largest lr so far in the averaging weights (0: no lr weighting). Default 2. */
  weightLrPower?: number;
  /** Apply the weight decay at z instead of y (the reference's `decay_at_z`). Default false. */
  decayAtZ?: boolean;
}

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
export function scheduleFreeAdamw(
  options: ScheduleFreeAdamwOptions = {},
): GradientTransformation<ScheduleFreeState> {
  const owner = "scheduleFreeAdamw";
  const c = commonOptions(owner, options, ["betas", "eps", "warmupSteps", "r", "weightLrPower", "decayAtZ"], {
    lr: 0.0025,
    weightDecay: 0,
  });
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const warmup = checkInteger(owner, "warmupSteps", options.warmupSteps ?? 0, "[0, inf)");
  const decayAtZ = checkBoolean(owner, "decayAtZ", options.decayAtZ ?? false);
  const lr = c.lr;
  const gamma = (k: number) =>
    valueAt(owner, "lr", lr, k, "[0, inf)") *
    (k < warmup ? (k + 1) / warmup : 1) *
    Math.sqrt(1 - b2 ** (k + 1));
  const inner = chain(
    ...ascent(c.maximize),
    scaleByRms({ alpha: b2, eps, owner }),
    ...decay(owner, c.weightDecay, c.mask),
    scaleByLearningRate(gamma, owner),
  );
  const tx = scheduleFree(inner, {
    lr: gamma,
    beta1: b1,
    r: options.r,
    weightLrPower: options.weightLrPower,
    innerParams: decayAtZ ? "z" : "y",
    owner,
  });
  // What the fused kernels run (kernels/kinds/schedule-free-adamw.ts), from the values checked above
  // and by scheduleFree (r, weightLrPower).
  const fusion: FusionSpec = {
    kind: "scheduleFreeAdamw",
    owner,
    lr,
    maximize: c.maximize,
    l2: 0,
    decoupled: c.weightDecay,
    mask: c.mask,
    beta1: b1,
    beta2: b2,
    eps,
    warmupSteps: warmup,
    r: options.r ?? 0,
    weightLrPower: options.weightLrPower ?? 2,
    decayAtZ,
  };
  return Object.assign(tx, { fusion });
}
