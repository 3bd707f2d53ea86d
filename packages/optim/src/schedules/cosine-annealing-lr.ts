import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `cosineAnnealingLr`: `CosineAnnealingLR`'s. */
export interface CosineAnnealingLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** T_max: updates from `lr` down to `etaMin` (half a cosine period), an integer ≥ 1. Required. */
  tMax: number;
  /** The minimum, η_min ≥ 0. Default 0. */
  etaMin?: number;
}

/**
 * `CosineAnnealingLR`: `η_min + (lr − η_min)·(1 + cos(π·t/T_max))/2`. Past `tMax` it keeps following
 * the cosine (rising again), exactly as PyTorch does; use `cosineAnnealingWarmRestarts` or
 * `sequentialLr` to hold or restart instead.
 */
export function cosineAnnealingLr(options: CosineAnnealingLrOptions): BaseSchedule {
  const owner = "cosineAnnealingLr";
  const o = scheduleOptions(owner, options, ["lr", "tMax", "etaMin"], ["lr", "tMax"]);
  const lr = checkLr(owner, o.lr);
  const tMax = checkPositiveInteger(owner, "tMax", o.tMax);
  const etaMin = checkNumber(owner, "etaMin", o.etaMin ?? 0, "[0, inf)");
  return withBase((t) => etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2, lr);
}
