import { checkInteger } from "../hyper.js";
import {
  type AnyTransformation,
  buffersLike,
  type GradientTransformation,
  updateLeaves,
} from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import type { WrapperFusion } from "./fusion.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** State of `accumulateGradients`: the running sum, beside the wrapped state. */
export interface AccumulateState<S = unknown> extends Wrapped<S> {
  /** Gradients summed since the last real update. */
  acc: FloatArray[];
  /** Calls since the last real update (0 … k−1). */
  miniStep: number;
}

/**
 * Gradient accumulation (Optax's MultiSteps): the first k−1 calls only add the gradient to a sum and
 * return zero updates; the k-th calls `tx` with the mean of the k gradients. With micro-batches of
 * equal size this is one step on the k-times larger batch. `tx`'s count advances once per k calls,
 * so schedules count real updates.
 */
export function accumulateGradients<S>(
  tx: GradientTransformation<S>,
  k: number,
): GradientTransformation<AccumulateState<S>> {
  const owner = "accumulateGradients";
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  checkInteger(owner, "k", k, "[1, inf)");
  const fusion: WrapperFusion = { kind: "accumulate", owner, k, inner: () => inner };
  return {
    ...innerHyperparams(inner as AnyTransformation),
    buffers: (state, params) => ({ ...inner.buffers?.(state.inner, params), acc: state.acc }),
    fusion,
    init: (params) => ({ acc: buffersLike(params), miniStep: 0, inner: inner.init(params) }),
    update(updates: Tree, state, params) {
      const us = updateLeaves(owner, updates, state.acc);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const a = state.acc[i]!;
        for (let j = 0; j < u.length; j++) a[j]! += u[j]!;
      }
      if (state.miniStep + 1 < k) {
        state.miniStep += 1;
        for (const u of us) u.fill(0);
        return updates;
      }
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const a = state.acc[i]!;
        for (let j = 0; j < u.length; j++) u[j] = a[j]! / k;
      }
      const out = inner.update(updates, state.inner, params);
      for (const a of state.acc) a.fill(0);
      state.miniStep = 0;
      return out;
    },
  };
}
