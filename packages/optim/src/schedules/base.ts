/** What every schedule constructor shares: option checks and the `base` value a schedule scales. */
import { checkNumber, checkOptions, type Schedule } from "../hyper.js";

/**
 * A schedule that knows its base value (PyTorch's `initial_lr`, or the peak for one-cycle and
 * warmup shapes), so `value / base` is the schedule multiplier η_t of the AdamW paper.
 */
export interface BaseSchedule extends Schedule {
  /** The base value: `lr` for the PyTorch-style schedules, the peak for one-cycle and the warmup shapes. */
  readonly base: number;
}

export function withBase(fn: Schedule, base: number): BaseSchedule {
  return Object.assign((count: number) => fn(count), { base });
}

/**
 * Validates the options object of a schedule constructor (required; unknown names and nulls are
 * refused, see `checkOptions`) and that the required options are given; returns it typed.
 */
export function scheduleOptions<T extends object>(
  owner: string,
  options: T | undefined,
  allowed: readonly string[],
  required: readonly string[] = [],
): T {
  if (options === undefined || options === null)
    throw new TypeError(`${owner}: an options object is required`);
  checkOptions(owner, options, allowed);
  for (const k of required) {
    if ((options as Record<string, unknown>)[k] === undefined)
      throw new TypeError(`${owner}: option '${k}' is required`);
  }
  return options;
}

export function checkLr(owner: string, lr: unknown, name = "lr"): number {
  return checkNumber(owner, name, lr, "[0, inf)");
}

export function checkPositiveInteger(owner: string, name: string, v: unknown): number {
  checkNumber(owner, name, v, "[1, inf)");
  if (!Number.isInteger(v)) throw new RangeError(`${owner}: ${name} must be an integer, got ${v}`);
  return v as number;
}

export function checkNonNegativeInteger(owner: string, name: string, v: unknown): number {
  checkNumber(owner, name, v, "[0, inf)");
  if (!Number.isInteger(v)) throw new RangeError(`${owner}: ${name} must be an integer, got ${v}`);
  return v as number;
}
