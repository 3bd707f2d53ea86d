import { type Schedule, showValue } from "../hyper.js";
import { type BaseSchedule, withBase } from "./base.js";

/**
 * `ChainedScheduler`: several multiplicative schedules at once, each stepped every update — the lr
 * is the base times the product of their multipliers, `lr_t = base · Πᵢ sᵢ(t)/sᵢ.base` (e.g. a
 * `constantLr` warm-up factor times an `exponentialLr` decay). The schedules must share one base
 * (they drive the same lr: momenta's schedules carry it, as `lr`). PyTorch chains the chainable
 * schedulers (those whose step multiplies the current lr) this way; values agree to ~1e-15.
 */
export function chainedScheduler(schedules: readonly Schedule[]): BaseSchedule {
  const owner = "chainedScheduler";
  if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => typeof s !== "function")) {
    throw new TypeError(`${owner}: schedules must be a non-empty array of momenta schedules`);
  }
  const bases = schedules.map((s) => (s as Partial<BaseSchedule>).base);
  bases.forEach((b, i) => {
    if (typeof b !== "number" || !(b > 0) || !Number.isFinite(b))
      throw new TypeError(
        `${owner}: schedules[${i}] has no base lr > 0 (got ${showValue(b)}); use momenta's schedule constructors`,
      );
    if (b !== bases[0])
      throw new RangeError(
        `${owner}: the schedules must share one base lr; schedules[${i}]'s is ${b}, not ${bases[0]}`,
      );
  });
  const base = bases[0]!;
  return withBase((t) => {
    let lr = base;
    for (const s of schedules) lr *= s(t) / base;
    return lr;
  }, base);
}
