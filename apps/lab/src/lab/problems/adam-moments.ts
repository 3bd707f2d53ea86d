/**
 * Reads Adam's bias-corrected moments m̂ = m/(1 − β1ᵗ) and v̂ = v/(1 − β2ᵗ) out of an optimizer's
 * own state (its `buffers` view), for the first param leaf. Diagnostics only: the Lab measures what
 * the library computed instead of recomputing it.
 */
import type { StateBuffers } from "momenta-optim";

export function adamMoments(
  opt: { readonly buffers: StateBuffers; readonly stepCount: number },
  betas: readonly [number, number] = [0.9, 0.999],
): { mHat: Float64Array; vHat: Float64Array; count: number } {
  const { expAvg, expAvgSq } = opt.buffers;
  if (!expAvg || !expAvgSq) throw new Error("adamMoments: no Adam state in this optimizer");
  const count = opt.stepCount;
  const bc1 = 1 - betas[0] ** count;
  const bc2 = 1 - betas[1] ** count;
  return {
    mHat: Float64Array.from(expAvg[0]!, (m) => m / bc1),
    vHat: Float64Array.from(expAvgSq[0]!, (v) => v / bc2),
    count,
  };
}
