import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `cosineAnnealingWarmRestarts`: `CosineAnnealingWarmRestarts`'s. */
export interface CosineAnnealingWarmRestartsOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** Updates in the first period, an integer ≥ 1. Required. */
  t0: number;
  /** The factor each period is longer than the one before, an integer ≥ 1. Default 1. */
  tMult?: number;
  /** The minimum, η_min ≥ 0. Default 0. */
  etaMin?: number;
}

/**
 * `CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter): cosine from `lr` to `etaMin` over a
 * period of `t0` updates, then restart at `lr` with the period multiplied by `tMult`. The position
 * in the current period is found with integer arithmetic, so restarts land on exactly the same
 * update as PyTorch's.
 */
export function cosineAnnealingWarmRestarts(options: CosineAnnealingWarmRestartsOptions): BaseSchedule {
  const owner = "cosineAnnealingWarmRestarts";
  const o = scheduleOptions(owner, options, ["lr", "t0", "tMult", "etaMin"], ["lr", "t0"]);
  const lr = checkLr(owner, o.lr);
  const t0 = checkPositiveInteger(owner, "t0", o.t0);
  const tMult = checkPositiveInteger(owner, "tMult", o.tMult ?? 1);
  const etaMin = checkNumber(owner, "etaMin", o.etaMin ?? 0, "[0, inf)");
  return withBase((t) => {
    let tCur = t;
    let period = t0;
    if (tMult === 1) tCur = t % t0;
    else {
      while (tCur >= period) {
        tCur -= period;
        period *= tMult;
      }
    }
    return etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * tCur) / period))) / 2;
  }, lr);
}
