import { type Schedule, valueAt } from "../hyper.js";
import { type BaseSchedule, checkLr, scheduleOptions, withBase } from "./base.js";

/** Options of `lambdaLr`: `LambdaLR`'s. */
export interface LambdaLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The multiplier for each count (PyTorch's `lr_lambda`). */
  lrLambda: Schedule;
}

/** `LambdaLR`: `lr·lrLambda(t)`. */
export function lambdaLr(options: LambdaLrOptions): BaseSchedule {
  const owner = "lambdaLr";
  const o = scheduleOptions(owner, options, ["lr", "lrLambda"], ["lr", "lrLambda"]);
  const lr = checkLr(owner, o.lr);
  if (typeof o.lrLambda !== "function")
    throw new TypeError(`${owner}: lrLambda must be a function of the count`);
  const f = o.lrLambda;
  return withBase((t) => lr * valueAt(owner, "lrLambda", f, t, "(-inf, inf)"), lr);
}
