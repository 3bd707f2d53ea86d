import { checkNumber, showValue } from "../hyper.js";
import { type BaseSchedule, checkLr, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `swaLr`: `torch.optim.swa_utils.SWALR`'s. */
export interface SwaLrOptions {
  /** The lr in force when averaging starts (the optimizer's lr, PyTorch reads it from the group), ≥ 0. Required. */
  lr: number;
  /** The lr to anneal to and then hold (PyTorch's `swa_lr`), ≥ 0. Required. */
  swaLr: number;
  /** Updates over which the lr moves from `lr` to `swaLr` (an integer ≥ 0). Default 10. */
  annealEpochs?: number;
  /** "cos" (default) or "linear": the shape of the move. */
  annealStrategy?: "cos" | "linear";
}

/**
 * `SWALR`, the lr for stochastic weight averaging: from `lr` to `swaLr` over `annealEpochs`
 * updates, `lr_t = swaLr·α + lr·(1 − α)` with `α = a(min(1, t/annealEpochs))`, `a(x) = (1 − cos πx)/2`
 * ("cos") or `x` ("linear"), then `swaLr` for good (from the first update when annealEpochs is 0).
 * Typically joined after the main schedule (`sequentialLr([main, swaLr(…)], [swaStart])`) while
 * `polyak({ start: swaStart })` averages the params. PyTorch rebuilds the start value from the
 * current lr each step; the closed form agrees to ~1e-15.
 */
export function swaLr(options: SwaLrOptions): BaseSchedule {
  const owner = "swaLr";
  const o = scheduleOptions(
    owner,
    options,
    ["lr", "swaLr", "annealEpochs", "annealStrategy"],
    ["lr", "swaLr"],
  );
  const lr = checkLr(owner, o.lr);
  const swa = checkNumber(owner, "swaLr", o.swaLr, "[0, inf)");
  const epochs = checkNonNegativeInteger(owner, "annealEpochs", o.annealEpochs ?? 10);
  const strategy = o.annealStrategy ?? "cos";
  if (strategy !== "cos" && strategy !== "linear")
    throw new RangeError(`${owner}: annealStrategy must be "cos" or "linear", got ${showValue(strategy)}`);
  const shape = strategy === "cos" ? (x: number) => (1 - Math.cos(Math.PI * x)) / 2 : (x: number) => x;
  return withBase((t) => {
    const step = epochs === 0 ? Math.max(1, t) : t;
    const alpha = shape(Math.max(0, Math.min(1, step / Math.max(1, epochs))));
    return alpha === 1 ? swa : swa * alpha + lr * (1 - alpha);
  }, lr);
}
