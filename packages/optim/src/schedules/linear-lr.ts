import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

export interface LinearLrOptions {
  lr: number;
  startFactor?: number;
  endFactor?: number;
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
