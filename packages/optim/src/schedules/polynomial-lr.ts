import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

export interface PolynomialLrOptions {
  lr: number;
  totalIters?: number;
  power?: number;
}

/** `PolynomialLR`: `lr·(1 − min(t, T)/T)^power`. Defaults T = 5, power 1. */
export function polynomialLr(options: PolynomialLrOptions): BaseSchedule {
  const owner = "polynomialLr";
  const o = scheduleOptions(owner, options, ["lr", "totalIters", "power"], ["lr"]);
  const lr = checkLr(owner, o.lr);
  const total = checkPositiveInteger(owner, "totalIters", o.totalIters ?? 5);
  const power = checkNumber(owner, "power", o.power ?? 1, "[0, inf)");
  return withBase((t) => lr * (1 - Math.min(t, total) / total) ** power, lr);
}
