import { checkNumber } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";

/** `torch.nn.utils.clip_grad_value_`: every coordinate clamped to [−clipValue, clipValue] (NaN stays NaN). */
export function clipByValue(clipValue: number): GradientTransformation<null> {
  const v = checkNumber("clipByValue", "clipValue", clipValue, "[0, inf)");
  return {
    config: () => ({ clipValue: v }),
    init: () => null,
    update(updates: Tree) {
      for (const u of leavesOf(updates)) {
        for (let j = 0; j < u.length; j++) {
          const x = u[j]!;
          if (x > v) u[j] = v;
          else if (x < -v) u[j] = -v;
        }
      }
      return updates;
    },
  };
}
