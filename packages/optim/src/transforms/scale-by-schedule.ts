import { checkHyper, checkOptions, type Hyper, ownerOption, showValue, valueAt } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";
import type { CountState } from "./scale-by-learning-rate.js";

/**
 * `u ← s_t · u` for a number or a schedule `s(count)` (count = updates already applied) — `scale`
 * for values that change over time, without `scaleByLearningRate`'s minus sign. The value must be
 * finite; a schedule is checked each time it is read.
 */
export function scaleBySchedule(
  stepSize: Hyper,
  options: {
    /** Name used in error messages (adafactor passes its own). Default "scaleBySchedule". */
    owner?: string;
    /** The value's name in error messages. Default "stepSize". */
    name?: string;
  } = {},
): GradientTransformation<CountState | null> {
  const owner = ownerOption(options, "scaleBySchedule");
  checkOptions(owner, options, ["owner", "name"]);
  const name = options.name ?? "stepSize";
  if (typeof name !== "string")
    throw new TypeError(`${owner}: name must be a string, got ${showValue(name)}`);
  checkHyper(owner, name, stepSize, "(-inf, inf)");
  return {
    init: () => (typeof stepSize === "number" ? null : { count: 0 }),
    update(updates: Tree, state) {
      const count = state?.count ?? 0;
      const s = valueAt(owner, name, stepSize, count, "(-inf, inf)");
      for (const u of leavesOf(updates)) for (let j = 0; j < u.length; j++) u[j]! *= s;
      if (state) state.count = count + 1;
      return updates;
    },
  };
}
