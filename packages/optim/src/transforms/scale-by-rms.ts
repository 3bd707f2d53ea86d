import { checkBoolean, checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByRms`. */
export interface ScaleByRmsOptions {
  /** Smoothing constant α of the running averages, in [0, 1]. Default 0.99. */
  alpha?: number;
  /** Added to the denominator √s, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Divide by the estimated standard deviation √(s − a²) instead of the RMS. Default false. */
  centered?: boolean;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRms". */
  owner?: string;
}

/** State of `scaleByRms`, one buffer per leaf. */
export interface ScaleByRmsState {
  /** The running average s of squared updates. */
  squareAvg: FloatArray[];
  /** Only when centered. */
  gradAvg?: FloatArray[];
}

/**
 * RMSprop's preconditioner: `s ← α·s + (1−α)·u²`; centered also tracks `a ← α·a + (1−α)·u` and uses
 * the variance `s − a²`; output `u / (√s + ε)`. No bias correction — the one thing that separates
 * it from Adam with β1 = 0 (whose update is `u / (√(s/(1−αᵗ)) + ε)`).
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  const owner = ownerOption(options, "scaleByRms");
  checkOptions(owner, options, ["alpha", "eps", "centered", "owner"]);
  const alpha = checkNumber(owner, "alpha", options.alpha ?? 0.99, "[0, 1]");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const centered = checkBoolean(owner, "centered", options.centered ?? false);
  return {
    config: () => ({ alpha, eps, centered }),
    init(params) {
      const s: ScaleByRmsState = { squareAvg: buffersLike(params) };
      if (centered) s.gradAvg = buffersLike(params);
      return s;
    },
    buffers: (state) => ({
      squareAvg: state.squareAvg,
      ...(state.gradAvg ? { gradAvg: state.gradAvg } : {}),
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.squareAvg);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const s = state.squareAvg[i]!;
        const a = centered ? state.gradAvg![i]! : undefined;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          s[j] = alpha * s[j]! + (1 - alpha) * g * g;
          let variance = s[j]!;
          if (a) {
            a[j] = alpha * a[j]! + (1 - alpha) * g;
            variance -= a[j]! * a[j]!;
          }
          u[j] = g / (Math.sqrt(variance) + eps);
        }
      }
      return updates;
    },
  };
}
