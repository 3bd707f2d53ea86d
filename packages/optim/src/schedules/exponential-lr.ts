import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, scheduleOptions, withBase } from "./base.js";

/** Options of `exponentialLr`: `ExponentialLR`'s. */
export interface ExponentialLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The factor γ ≥ 0 applied at every update. Required. */
  gamma: number;
}

/** `ExponentialLR`: `lr·γᵗ`. */
export function exponentialLr(options: ExponentialLrOptions): BaseSchedule {
  const owner = "exponentialLr";
  const o = scheduleOptions(owner, options, ["lr", "gamma"], ["lr", "gamma"]);
  const lr = checkLr(owner, o.lr);
  const gamma = checkNumber(owner, "gamma", o.gamma, "[0, inf)");
  return withBase((t) => lr * gamma ** t, lr);
}
