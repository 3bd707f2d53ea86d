import { checkNumber, type Hyper, valueAt } from "../hyper.ts";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.ts";
import type { Tree } from "../tree.ts";
import { checkBetas, type ScaleByAdamState } from "./scale-by-adam.ts";

export interface ScaleByUncorrectedAdamOptions {
  /** β1 (may follow a schedule) and β2. */
  betas?: readonly [Hyper, number];
  eps?: number;
  owner?: string;
}

/**
 * Adam's moments without the bias correction: `m ← β1·m + (1−β1)·u`, `v ← β2·v + (1−β2)·u²`,
 * output `m / (√v + ε)` (LAMB with `biasCorrection: false`, NVIDIA's `bias_correction=False`).
 * Without eps its output is Adam's times (1−β1ᵗ)/√(1−β2ᵗ): at step 1, (1−β1)/√(1−β2) ≈ 3.2 for
 * the default betas. Same state layout as `scaleByAdam`.
 */
export function scaleByUncorrectedAdam(
  options: ScaleByUncorrectedAdamOptions = {},
): GradientTransformation<ScaleByAdamState> {
  const owner = options.owner ?? "scaleByUncorrectedAdam";
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  return {
    init: (params) => ({ count: 0, expAvg: buffersLike(params), expAvgSq: buffersLike(params) }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = beta1 * m[j]! + (1 - beta1) * g;
          v[j] = b2 * v[j]! + (1 - b2) * g * g;
          u[j] = m[j]! / (Math.sqrt(v[j]!) + eps);
        }
      }
      state.count += 1;
      return updates;
    },
  };
}
