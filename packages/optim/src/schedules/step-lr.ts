import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

export interface StepLrOptions {
  lr: number;
  stepSize: number;
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
