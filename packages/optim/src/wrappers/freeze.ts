import { checkMask } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { maskFor } from "../transforms/add-decayed-weights.js";
import { leavesOf, type Mask, type Tree } from "../tree.js";

/**
 * Zeroes the updates of the masked leaves, so they never move. Put it last in a chain: earlier, a
 * decoupled decay or a momentum buffer after it could still move a frozen leaf.
 */
export function freeze(mask: Mask): GradientTransformation<null> {
  if (mask === undefined || mask === null) throw new TypeError("freeze: a mask is required");
  checkMask("freeze", "mask", mask);
  return {
    init: () => null,
    update(updates: Tree, _state, params) {
      const on = maskFor("freeze", mask, params ?? updates);
      leavesOf(updates).forEach((u, i) => {
        if (on[i]) u.fill(0);
      });
      return updates;
    },
  };
}
