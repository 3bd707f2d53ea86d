/**
 * Hyperparameters that may follow a schedule, and the range checks every constructor uses.
 *
 * A schedule maps `count` — the number of updates already applied — to a value, so the first update
 * uses `schedule(0)`, exactly like a PyTorch scheduler whose `step()` follows each `optimizer.step()`.
 */

/** A value as a function of `count`, the number of updates already applied (the first update reads `schedule(0)`). */
export type Schedule = (count: number) => number;

/** A constant or a schedule. */
export type Hyper = number | Schedule;

/** An interval written the usual way: `[0, inf)`, `(0, 1]`, `[0, 1)`… */
export type Interval = string;

interface Bounds {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
}

const parsed = new Map<Interval, Bounds>();

function bounds(interval: Interval): Bounds {
  let b = parsed.get(interval);
  if (!b) {
    const m = /^([[(])\s*(-?inf|[-+0-9.e]+)\s*,\s*(-?inf|[-+0-9.e]+)\s*([\])])$/.exec(interval);
    if (!m) throw new Error(`bad interval ${interval}`);
    const num = (s: string) => (s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));
    b = { lo: num(m[2]!), hi: num(m[3]!), loOpen: m[1] === "(", hiOpen: m[4] === ")" };
    parsed.set(interval, b);
  }
  return b;
}

/** Whether `value` lies in `interval` (NaN never does). */
export function inInterval(value: number, interval: Interval): boolean {
  const b = bounds(interval);
  if (Number.isNaN(value)) return false;
  if (b.loOpen ? !(value > b.lo) : !(value >= b.lo)) return false;
  if (b.hiOpen ? !(value < b.hi) : !(value <= b.hi)) return false;
  return true;
}

/** Throws a RangeError `owner: name = value is outside the allowed range interval`. */
export function checkNumber(owner: string, name: string, value: unknown, interval: Interval): number {
  if (typeof value !== "number") {
    throw new RangeError(`${owner}: ${name} must be a number in ${interval}, got ${show(value)}`);
  }
  if (!inInterval(value, interval)) {
    throw new RangeError(`${owner}: ${name} = ${value} is outside the allowed range ${interval}`);
  }
  return value;
}

/** Throws a TypeError `owner: name must be true or false` unless `value` is a boolean. */
export function checkBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new TypeError(`${owner}: ${name} must be true or false, got ${show(value)}`);
  return value;
}

/** As `checkNumber`, and the value must be an integer. */
export function checkInteger(owner: string, name: string, value: unknown, interval: Interval): number {
  checkNumber(owner, name, value, interval);
  if (!Number.isInteger(value)) throw new RangeError(`${owner}: ${name} must be an integer, got ${value}`);
  return value as number;
}

/** Checks a constant now; a schedule is checked each time it is read (see `valueAt`). */
export function checkHyper(owner: string, name: string, value: unknown, interval: Interval): Hyper {
  if (typeof value === "function") return value as Schedule;
  return checkNumber(owner, name, value, interval);
}

/** A hyperparameter's value at `count`, unchecked (for recording settings, not for stepping). */
export function hyperAt(h: Hyper, count: number): number {
  return typeof h === "number" ? h : h(count);
}

/** The value of `h` for this count; a scheduled value outside `interval` throws a RangeError. */
export function valueAt(owner: string, name: string, h: Hyper, count: number, interval: Interval): number {
  if (typeof h === "number") return h;
  const v = h(count);
  if (typeof v !== "number" || !inInterval(v, interval)) {
    throw new RangeError(
      `${owner}: the schedule for ${name} gave ${show(v)} at count ${count}, outside the allowed range ${interval}`,
    );
  }
  return v;
}

/** Rejects option keys the constructor does not know — a misspelt `weight_decay` should not pass silently. */
export function checkKeys(owner: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${owner}: options must be an object, got ${show(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new TypeError(`${owner}: unknown option '${k}' (allowed: ${allowed.join(", ")})`);
    }
  }
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  return String(v);
}
