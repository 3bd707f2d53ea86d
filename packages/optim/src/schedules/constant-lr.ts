import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

export interface ConstantLrOptions {
  lr: number;
  factor?: number;
  totalIters?: number;
}

/**
 * `ConstantLR`: `lr·factor` for the first `totalIters` updates, then `lr`. Defaults factor 1/3,
 * totalIters 5. As in PyTorch, totalIters 0 applies the factor forever (the switch back to `lr`
 * happens on a step that never comes).
 */
export function constantLr(options: ConstantLrOptions): BaseSchedule {
  const owner = "constantLr";
  const o = scheduleOptions(owner, options, ["lr", "factor", "totalIters"], ["lr"]);
  const lr = checkLr(owner, o.lr);
  const factor = checkNumber(owner, "factor", o.factor ?? 1 / 3, "[0, 1]");
  const total = checkNonNegativeInteger(owner, "totalIters", o.totalIters ?? 5);
  return withBase((t) => (t < total || total === 0 ? lr * factor : lr), lr);
}
