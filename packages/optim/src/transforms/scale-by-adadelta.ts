import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByAdadelta`. */
export interface ScaleByAdadeltaOptions {
  /** Decay rate ρ of both running averages, in [0, 1]. Default 0.9. */
  rho?: number;
  /** Added inside both square roots, ≥ 0. Default 1e-6. */
  eps?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByAdadelta". */
  owner?: string;
}

/** State of `scaleByAdadelta`, one buffer per leaf. */
export interface ScaleByAdadeltaState {
  /** The running average s of squared updates. */
  squareAvg: FloatArray[];
  /** The running average d of squared outputs δ². */
  accDelta: FloatArray[];
}

/**
 * Adadelta: `s ← ρ·s + (1−ρ)·u²`, `δ = √(d + ε) / √(s + ε) · u`, `d ← ρ·d + (1−ρ)·δ²`; output δ.
 * The ratio of two RMS values carries the units of the parameter, so lr defaults to 1.
 */
export function scaleByAdadelta(
  options: ScaleByAdadeltaOptions = {},
): GradientTransformation<ScaleByAdadeltaState> {
  const owner = ownerOption(options, "scaleByAdadelta");
  checkOptions(owner, options, ["rho", "eps", "owner"]);
  const rho = checkNumber(owner, "rho", options.rho ?? 0.9, "[0, 1]");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-6, "[0, inf)");
  return {
    config: () => ({ rho, eps }),
    init: (params) => ({ squareAvg: buffersLike(params), accDelta: buffersLike(params) }),
    buffers: (state) => ({ squareAvg: state.squareAvg, accDelta: state.accDelta }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.squareAvg);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const s = state.squareAvg[i]!;
        const d = state.accDelta[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          s[j] = rho * s[j]! + (1 - rho) * g * g;
          u[j] = (Math.sqrt(d[j]! + eps) / Math.sqrt(s[j]! + eps)) * g;
          const delta = u[j]!;
          d[j] = rho * d[j]! + (1 - rho) * delta * delta;
        }
      }
      return updates;
    },
  };
}
