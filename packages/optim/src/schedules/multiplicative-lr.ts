import { type Schedule, valueAt } from "../hyper.js";
import { type BaseSchedule, checkLr, scheduleOptions, withBase } from "./base.js";

/** Options of `multiplicativeLr`: `MultiplicativeLR`'s. */
export interface MultiplicativeLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The factor the lr is multiplied by at each count t ≥ 1 (PyTorch's `lr_lambda`). Required. */
  lrLambda: Schedule;
}

/**
 * `MultiplicativeLR`: `lr_0 = lr`, `lr_t = lr_{t−1}·lrLambda(t)` — each factor applied to the
 * previous value, in PyTorch's order, so the values are PyTorch's to the last bit. A schedule is a
 * function of the count: the product is carried from the last count asked (counts asked in order
 * cost one factor each; an earlier count is recomputed from 0).
 */
export function multiplicativeLr(options: MultiplicativeLrOptions): BaseSchedule {
  const owner = "multiplicativeLr";
  const o = scheduleOptions(owner, options, ["lr", "lrLambda"], ["lr", "lrLambda"]);
  const lr = checkLr(owner, o.lr);
  if (typeof o.lrLambda !== "function")
    throw new TypeError(`${owner}: lrLambda must be a function of the count`);
  const f = o.lrLambda;
  let at = 0;
  let value = lr;
  return withBase((t) => {
    if (t < at) {
      at = 0;
      value = lr;
    }
    // computed into locals first: a throwing factor leaves the carried product as it was
    let k = at;
    let v = value;
    while (k < t) {
      k += 1;
      v *= valueAt(owner, "lrLambda", f, k, "(-inf, inf)");
    }
    at = k;
    value = v;
    return v;
  }, lr);
}
