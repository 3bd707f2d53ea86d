import { checkNumber, checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByYogi`: Optax's `scale_by_yogi`'s. */
export interface ScaleByYogiOptions {
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator √v̂, ≥ 0. Default 1e-3. */
  eps?: number;
  /** Added to v̂ inside the square root, ≥ 0. Default 0. */
  epsRoot?: number;
  /** The value both moments start at, > 0. Default 1e-6. */
  initialAccumulatorValue?: number;
  /** Name used in error messages. Default "scaleByYogi". */
  owner?: string;
}

/** State of `scaleByYogi`: the count and the two moments. */
export interface ScaleByYogiState {
  /** Updates applied so far. */
  count: number;
  /** First moment m. */
  expAvg: FloatArray[];
  /** Second moment v, moved toward u² additively. */
  expAvgSq: FloatArray[];
}

/**
 * Yogi's preconditioner (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization"), as
 * Optax's `scale_by_yogi`: `m ← (1−β1)·u + β1·m`, `v ← v − (1−β2)·sign(v − u²)·u²` — v moves
 * toward u² by a step that does not scale with v, so it cannot grow as fast as Adam's after a burst
 * — then with t = count + 1, `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`, output `m̂/(√(v̂ + εroot) + ε)`.
 */
export function scaleByYogi(options: ScaleByYogiOptions = {}): GradientTransformation<ScaleByYogiState> {
  const owner = ownerOption(options, "scaleByYogi");
  checkOptions(owner, options, ["betas", "eps", "epsRoot", "initialAccumulatorValue", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-3, "[0, inf)");
  const epsRoot = checkNumber(owner, "epsRoot", options.epsRoot ?? 0, "[0, inf)");
  const init = checkNumber(
    owner,
    "initialAccumulatorValue",
    options.initialAccumulatorValue ?? 1e-6,
    "(0, inf)",
  );
  return {
    config: (state) => ({
      "betas[0]": hyperAt(b1, state.count),
      "betas[1]": b2,
      eps,
      epsRoot,
      initialAccumulatorValue: init,
    }),
    init: (params) => ({ count: 0, expAvg: buffersLike(params, init), expAvgSq: buffersLike(params, init) }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - b2 ** t;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          const g2 = g * g;
          m[j] = (1 - beta1) * g + beta1 * m[j]!;
          v[j] = v[j]! - (1 - b2) * Math.sign(v[j]! - g2) * g2;
          u[j] = m[j]! / bc1 / (Math.sqrt(v[j]! / bc2 + epsRoot) + eps);
        }
      }
      state.count = t;
      return updates;
    },
  };
}
