import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `linearLr`: `LinearLR`'s. */
export interface LinearLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** The multiplier s at count 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** The multiplier e from `totalIters` on, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Updates T over which the multiplier goes from s to e, an integer ≥ 0. Default 5. */
  totalIters?: number;
}

/**
 * `torch.optim.lr_scheduler.LinearLR`: `lr·(s + (e − s)·min(t, T)/T)`. Defaults s = 1/3, e = 1, T = 5.
 * As in PyTorch, T = 0 holds `lr·s` forever.
 */
export function linearLr(options: LinearLrOptions): BaseSchedule {
  const owner = "linearLr";
  const o = scheduleOptions(owner, options, ["lr", "startFactor", "endFactor", "totalIters"], ["lr"]);
  const lr = checkLr(owner, o.lr);
  const s = checkNumber(owner, "startFactor", o.startFactor ?? 1 / 3, "(0, 1]");
  const e = checkNumber(owner, "endFactor", o.endFactor ?? 1, "[0, 1]");
  const total = checkNonNegativeInteger(owner, "totalIters", o.totalIters ?? 5);
  return withBase((t) => lr * (total === 0 ? s : s + ((e - s) * Math.min(t, total)) / total), lr);
}
