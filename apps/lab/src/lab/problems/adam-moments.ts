/**
 * Reads Adam's bias-corrected moments m̂ = m/(1 − β1ᵗ) and v̂ = v/(1 − β2ᵗ) out of an optimizer's
 * own state (a chain state holding one `ScaleByAdamState`), for the first param leaf. Diagnostics
 * only: the Lab measures what the library computed instead of recomputing it.
 */
import type { ScaleByAdamState } from "momenta-optim";

export function adamMoments(
  state: unknown,
  betas: readonly [number, number] = [0.9, 0.999],
): { mHat: Float64Array; vHat: Float64Array; count: number } {
  const s = findAdam(state);
  if (!s) throw new Error("adamMoments: no Adam state in this optimizer");
  const bc1 = 1 - betas[0] ** s.count;
  const bc2 = 1 - betas[1] ** s.count;
  return {
    mHat: Float64Array.from(s.expAvg[0]!, (m) => m / bc1),
    vHat: Float64Array.from(s.expAvgSq[0]!, (v) => v / bc2),
    count: s.count,
  };
}

function findAdam(x: unknown): ScaleByAdamState | undefined {
  if (x === null || typeof x !== "object") return undefined;
  if ("expAvgSq" in x && "expAvg" in x && "count" in x) return x as ScaleByAdamState;
  if (Array.isArray(x))
    for (const e of x) {
      const found = findAdam(e);
      if (found) return found;
    }
  return undefined;
}
