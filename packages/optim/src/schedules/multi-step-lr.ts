import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `multiStepLr`: `MultiStepLR`'s. */
export interface MultiStepLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The counts (integers ≥ 0, any order) at which lr is multiplied by γ. Required. */
  milestones: readonly number[];
  /** The factor γ ≥ 0 applied at each milestone. Default 0.1. */
  gamma?: number;
}

/** `MultiStepLR`: `lr·γ^(number of milestones ≤ t)`; a milestone listed twice counts twice. Default γ = 0.1. */
export function multiStepLr(options: MultiStepLrOptions): BaseSchedule {
  const owner = "multiStepLr";
  const o = scheduleOptions(owner, options, ["lr", "milestones", "gamma"], ["lr", "milestones"]);
  const lr = checkLr(owner, o.lr);
  if (!Array.isArray(o.milestones)) throw new TypeError(`${owner}: milestones must be an array of integers`);
  const milestones = o.milestones
    .map((m, i) => checkNonNegativeInteger(owner, `milestones[${i}]`, m))
    .sort((a, b) => a - b);
  const gamma = checkNumber(owner, "gamma", o.gamma ?? 0.1, "[0, inf)");
  return withBase((t) => lr * gamma ** countAtMost(milestones, t), lr);
}

/** How many sorted values are ≤ t (Python's bisect_right). */
export function countAtMost(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
