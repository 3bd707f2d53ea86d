import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `constantLr`: `ConstantLR`'s. */
export interface ConstantLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The multiplier during the first `totalIters` updates, in [0, 1]. Default 1/3. */
  factor?: number;
  /** Updates the factor applies for, an integer ≥ 0 (0: forever, as in PyTorch). Default 5. */
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
