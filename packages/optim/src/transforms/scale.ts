import { showValue } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";

/** `u ← factor · u`. `scale(-1)` is how `maximize` turns ascent into descent. */
export function scale(factor: number): GradientTransformation<null> {
  if (typeof factor !== "number" || !Number.isFinite(factor)) {
    throw new RangeError(`scale: factor must be a finite number, got ${showValue(factor)}`);
  }
  return {
    init: () => null,
    update(updates: Tree) {
      for (const u of leavesOf(updates)) for (let j = 0; j < u.length; j++) u[j]! *= factor;
      return updates;
    },
  };
}
