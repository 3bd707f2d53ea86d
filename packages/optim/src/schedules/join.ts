import { type Schedule, showValue } from "../hyper.js";
import { type BaseSchedule, checkNonNegativeInteger, withBase } from "./base.js";
import { countAtMost } from "./multi-step-lr.js";

/**
 * Optax's `join_schedules`: schedule i takes over at boundary i−1 and sees `count − boundary`
 * (the same rule as PyTorch's SequentialLR; see `sequentialLr`). The base is the first schedule's.
 */
export function join(schedules: readonly Schedule[], boundaries: readonly number[]): BaseSchedule {
  return joined("join", "boundaries", schedules, boundaries);
}

export function joined(
  owner: string,
  name: string,
  schedules: readonly Schedule[],
  boundaries: readonly number[],
): BaseSchedule {
  if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => typeof s !== "function")) {
    throw new TypeError(`${owner}: schedules must be a non-empty array of schedules`);
  }
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new RangeError(
      `${owner}: expected ${schedules.length - 1} ${name} for ${schedules.length} schedules, got ${Array.isArray(boundaries) ? boundaries.length : showValue(boundaries)}`,
    );
  }
  boundaries.forEach((b, i) => {
    checkNonNegativeInteger(owner, `${name}[${i}]`, b);
    if (i > 0 && b < boundaries[i - 1]!) throw new RangeError(`${owner}: ${name} must be non-decreasing`);
  });
  const base = (schedules[0] as Partial<BaseSchedule>).base ?? Number.NaN;
  return withBase((t) => {
    const i = countAtMost(boundaries, t);
    return schedules[i]!(i === 0 ? t : t - boundaries[i - 1]!);
  }, base);
}
