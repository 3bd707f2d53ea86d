import { checkHyper, type Hyper, hyperAt, showValue, valueAt } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";

/** State of a scheduled learning rate: the number of updates already applied. */
export interface CountState {
  /** Updates applied so far. */
  count: number;
}

/**
 * `u ← −lr_t · u`: turns a descent direction into the step that `applyUpdates` adds.
 * A constant lr needs no state; a schedule keeps the count it is evaluated at.
 */
export function scaleByLearningRate(
  lr: Hyper,
  owner = "scaleByLearningRate",
): GradientTransformation<CountState | null> {
  if (typeof owner !== "string" || owner === "") {
    throw new TypeError(`scaleByLearningRate: owner must be a non-empty string, got ${showValue(owner)}`);
  }
  checkHyper(owner, "lr", lr, "[0, inf)");
  return {
    config: (state) => ({ lr: hyperAt(lr, state?.count ?? 0) }),
    init: () => (typeof lr === "number" ? null : { count: 0 }),
    update(updates: Tree, state) {
      const count = state?.count ?? 0;
      const step = -valueAt(owner, "lr", lr, count, "[0, inf)");
      for (const u of leavesOf(updates)) for (let j = 0; j < u.length; j++) u[j]! *= step;
      if (state) state.count = count + 1;
      return updates;
    },
  };
}
