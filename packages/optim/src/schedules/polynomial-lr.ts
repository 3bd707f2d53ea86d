import { checkNumber } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `polynomialLr`: `PolynomialLR`'s. */
export interface PolynomialLrOptions {
  /** The base learning rate (PyTorch's `initial_lr`), ≥ 0. Required. */
  lr: number;
  /** Updates T until lr reaches 0, an integer ≥ 1. Default 5. */
  totalIters?: number;
  /** The polynomial's power, ≥ 0. Default 1. */
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
