import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

export interface CosineAnnealingWarmRestartsOptions {
  lr: number;
  t0: number;
  tMult?: number;
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
