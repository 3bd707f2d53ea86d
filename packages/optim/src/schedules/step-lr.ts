import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `stepLr`: `StepLR`'s. */
export interface StepLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The period of the decay in updates, an integer ≥ 1. Required. */
  stepSize: number;
  /** The factor γ ≥ 0 applied every `stepSize` updates. Default 0.1. */
  gamma?: number;
}

/** `StepLR`: `lr·γ^⌊t/stepSize⌋`. Default γ = 0.1. */
export function stepLr(options: StepLrOptions): BaseSchedule {
  const owner = "stepLr";
  const o = scheduleOptions(owner, options, ["lr", "stepSize", "gamma"], ["lr", "stepSize"]);
  const lr = checkLr(owner, o.lr);
  const size = checkPositiveInteger(owner, "stepSize", o.stepSize);
  const gamma = checkNumber(owner, "gamma", o.gamma ?? 0.1, "[0, inf)");
  return withBase((t) => lr * gamma ** Math.floor(t / size), lr);
}
