import { clipByGlobalNorm } from "../clipping/clip-by-global-norm.js";
import { checkNumber, checkOptions, showValue } from "../hyper.js";
import { adamw } from "../optimizers/adamw.js";
import { warmupCosineDecay } from "../schedules/warmup-cosine-decay.js";
import { chain } from "../transform.js";
import type { Mask } from "../tree.js";
import { type Averaging, ema } from "../wrappers/average-params.js";
import { type SkipState, skipNonFinite } from "../wrappers/skip-non-finite.js";

/** Options of `adamwRecipe`. */
export interface AdamwRecipeOptions {
  /** Updates in the whole run: the cosine reaches `endLr` there. An integer > warmupSteps. Required. */
  totalSteps: number;
  /** The peak learning rate, reached at the end of the warmup, ≥ 0. Default 1e-3. */
  lr?: number;
  /** Updates of linear warmup from 0 to `lr`, an integer ≥ 0. Default 5% of totalSteps (rounded down). */
  warmupSteps?: number;
  /** The learning rate from `totalSteps` on, ≥ 0. Default 0. */
  endLr?: number;
  /** AdamW's decoupled weight decay, ≥ 0. Default 0.01. */
  weightDecay?: number;
  /** Which leaves decay (e.g. `excludeBiasAndNorm`). Default: all. */
  mask?: Mask;
  /** AdamW's (β1, β2). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** AdamW's eps. Default 1e-8. */
  eps?: number;
  /** The gradients' global 2-norm is clipped to this, > 0. Default 1. */
  maxNorm?: number;
  /** Decay of the moving average of the params, in [0, 1). Default 0.999. */
  emaDecay?: number;
  /** Non-finite gradients in a row skipped before the step throws. Default 10. */
  maxConsecutive?: number;
}

/**
 * The training recipe the texts recommend, as one transform: gradients clipped to a global 2-norm,
 * AdamW with linear warmup then cosine decay of the learning rate, steps with a NaN/∞ gradient
 * skipped (and counted), and an exponential moving average of the params to evaluate with
 * (`averagedParams(tx, opt.state, params)`). Spelled out:
 * `ema(skipNonFinite(chain(clipByGlobalNorm(maxNorm), adamw({ lr: warmupCosineDecay(…), … }))), { decay })`.
 * `createOptimizer` runs all of it on the fused kernels.
 */
export function adamwRecipe(options: AdamwRecipeOptions): Averaging<SkipState<unknown>> {
  const owner = "adamwRecipe";
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new TypeError(`${owner}: expected options with totalSteps, got ${showValue(options)}`);
  checkOptions(owner, options, [
    "totalSteps",
    "lr",
    "warmupSteps",
    "endLr",
    "weightDecay",
    "mask",
    "betas",
    "eps",
    "maxNorm",
    "emaDecay",
    "maxConsecutive",
  ]);
  const total = options.totalSteps;
  if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 1)
    throw new RangeError(`${owner}: totalSteps must be an integer ≥ 1, got ${showValue(total)}`);
  const warmupSteps = options.warmupSteps ?? Math.floor(total / 20);
  if (
    typeof warmupSteps !== "number" ||
    !Number.isSafeInteger(warmupSteps) ||
    warmupSteps < 0 ||
    warmupSteps >= total
  )
    throw new RangeError(
      `${owner}: warmupSteps must be an integer from 0 to totalSteps − 1 (${total - 1}), got ${showValue(warmupSteps)}`,
    );
  const lr = warmupCosineDecay({
    peak: checkNumber(owner, "lr", options.lr ?? 1e-3, "[0, inf)"),
    warmupSteps,
    decaySteps: total,
    end: checkNumber(owner, "endLr", options.endLr ?? 0, "[0, inf)"),
  });
  const maxNorm = checkNumber(owner, "maxNorm", options.maxNorm ?? 1, "(0, inf)");
  const optimizer = adamw({
    lr,
    weightDecay: options.weightDecay ?? 0.01,
    mask: options.mask,
    betas: options.betas,
    eps: options.eps,
  });
  const guarded = skipNonFinite(chain(clipByGlobalNorm(maxNorm), optimizer), {
    maxConsecutive: options.maxConsecutive ?? 10,
  });
  return ema(guarded, { decay: options.emaDecay ?? 0.999 });
}
