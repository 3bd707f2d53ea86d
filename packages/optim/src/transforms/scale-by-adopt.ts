import {
  checkBoolean,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByAdopt`: Optax's `contrib.scale_by_adopt`'s. */
export interface ScaleByAdoptOptions {
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.9999]. */
  betas?: readonly [Hyper, number];
  /** Floor on √v the gradient is divided by, ≥ 0. Default 1e-6. */
  eps?: number;
  /** Use the Nesterov form of the first moment. Default false. */
  nesterov?: boolean;
  /** Clip the normalized gradient to ±count^¼ (the paper's stabilizer). Default true. */
  useClipping?: boolean;
  /** Name used in error messages. Default "scaleByAdopt". */
  owner?: string;
}

/** State of `scaleByAdopt`: the count and the two moments. */
export interface ScaleByAdoptState {
  /** Updates applied so far. */
  count: number;
  /** The momentum of the normalized gradient. */
  expAvg: FloatArray[];
  /** Second moment v of the raw gradient. */
  expAvgSq: FloatArray[];
}

/**
 * ADOPT's preconditioner (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β2"),
 * as Optax's `contrib.scale_by_adopt`: the gradient is normalized by the second moment **before**
 * this gradient enters it, and the momentum is taken after normalizing — `x = u / max(√v, ε)`
 * (clipped to ±count^¼), `m ← (1−β1)·x + β1·m`, `v ← (1−β2)·u² + β2·v`, output m (Nesterov:
 * `(1−β1)·x + β1·m`). The first update only initializes: v ← u², and m stays 0 (x is 0, as v was).
 */
export function scaleByAdopt(options: ScaleByAdoptOptions = {}): GradientTransformation<ScaleByAdoptState> {
  const owner = ownerOption(options, "scaleByAdopt");
  checkOptions(owner, options, ["betas", "eps", "nesterov", "useClipping", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas ?? [0.9, 0.9999]);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-6, "[0, inf)");
  const nesterov = checkBoolean(owner, "nesterov", options.nesterov ?? false);
  const clip = checkBoolean(owner, "useClipping", options.useClipping ?? true);
  return {
    config: (state) => ({
      "betas[0]": hyperAt(b1, state.count),
      "betas[1]": b2,
      eps,
      nesterov,
      useClipping: clip,
    }),
    init: (params) => ({ count: 0, expAvg: buffersLike(params), expAvgSq: buffersLike(params) }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const first = state.count === 0;
      // the first update: v takes u² whole (β2 → 0), m keeps its 0 (β1 → 1)
      const beta1 = first ? 1 : valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const beta2 = first ? 0 : b2;
      const limit = state.count ** 0.25;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          let x = g / Math.max(Math.sqrt(v[j]!), eps);
          if (clip) x = Math.min(Math.max(x, -limit), limit);
          v[j] = (1 - beta2) * (g * g) + beta2 * v[j]!;
          m[j] = (1 - beta1) * x + beta1 * m[j]!;
          u[j] = nesterov ? (1 - beta1) * x + beta1 * m[j]! : m[j]!;
        }
      }
      state.count += 1;
      return updates;
    },
  };
}
