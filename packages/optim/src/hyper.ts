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
    throw new RangeError(`${owner}: ${name} must be a number in ${interval}, got ${showValue(value)}`);
  }
  if (!inInterval(value, interval)) {
    throw new RangeError(`${owner}: ${name} = ${value} is outside the allowed range ${interval}`);
  }
  return value;
}

/** Throws a TypeError `owner: name must be true or false` unless `value` is a boolean. */
export function checkBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new TypeError(`${owner}: ${name} must be true or false, got ${showValue(value)}`);
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
      `${owner}: the schedule for ${name} gave ${showValue(v)} at count ${count}, outside the allowed range ${interval}`,
    );
  }
  return v;
}

/**
 * Rejects an options argument that is not an options object (`undefined` is none: all defaults; null,
 * numbers, strings, arrays and functions are refused) and option keys the constructor does not know —
 * a misspelt `weight_decay` should not pass silently. The error suggests the name meant: the
 * camelCase form of a PyTorch snake_case spelling, or an allowed name within two edits.
 */
export function checkKeys(owner: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (
    options === null ||
    typeof options !== "object" ||
    Array.isArray(options) ||
    ArrayBuffer.isView(options)
  ) {
    throw new TypeError(`${owner}: options must be an object, got ${showValue(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      const near = suggestNames(k, allowed);
      const guess = near.length > 0 ? ` (did you mean ${near.map((n) => `'${n}'`).join(" or ")}?)` : "";
      throw new TypeError(`${owner}: unknown option '${k}'${guess} (allowed: ${allowed.join(", ")})`);
    }
  }
}

/**
 * `checkKeys`, and no option may be `null` — except those in `nullable`, whose doc gives null a
 * meaning — so that null is never quietly read as "the default". Returns the options (`{}` for
 * undefined), ready for `options.name ?? default`.
 */
export function checkOptions<T extends object>(
  owner: string,
  options: T | undefined,
  allowed: readonly string[],
  nullable: readonly string[] = [],
): T {
  checkKeys(owner, options, allowed);
  if (options === undefined) return {} as T;
  for (const [k, v] of Object.entries(options)) {
    if (v === null && !nullable.includes(k)) {
      throw new TypeError(`${owner}: ${k} must not be null (leave it out for the default)`);
    }
  }
  return options;
}

/** The allowed name a mistyped option most likely meant, if any (see `checkKeys`). */
function suggestNames(key: string, allowed: readonly string[]): string[] {
  const camel = key.replace(/_+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
  const fold = (s: string) => s.replace(/_/g, "").toLowerCase();
  const same = allowed.find((a) => a === camel) ?? allowed.find((a) => fold(a) === fold(key));
  if (same !== undefined) return [same];
  // every name within two edits, and fewer than half the letters (so "x" does not suggest "d"), at
  // the smallest distance: "beta" is as near "betas" as "beta3", and either may be meant
  let best: string[] = [];
  let bestDistance = 3;
  for (const a of allowed) {
    const d = editDistance(camel.toLowerCase(), a.toLowerCase());
    if (d > bestDistance || d >= Math.max(camel.length, a.length) / 2) continue;
    if (d < bestDistance) best = [];
    best.push(a);
    bestDistance = d;
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * A value for an error message, whatever it is: strings quoted, arrays and plain objects named, and
 * never a throw (a symbol, a BigInt or an object without a prototype cannot break the message). Internal.
 */
export function showValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (v === null || typeof v !== "object") return String(v);
  if (Array.isArray(v))
    return v.length <= 4 && v.every((x) => typeof x !== "object" || x === null)
      ? `[${v.map(showValue).join(", ")}]`
      : "an array";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor?.name ?? "typed array"}`;
  return "an object";
}

/**
 * The `owner` option of a building block — the name its errors use, which the optimizer aliases set
 * to theirs — or `fallback` when it is absent. Internal.
 */
export function ownerOption(options: unknown, fallback: string): string {
  if (options === null || typeof options !== "object") return fallback; // checkOptions refuses it next
  const owner = (options as { owner?: unknown }).owner;
  if (owner === undefined) return fallback;
  if (owner === null)
    throw new TypeError(`${fallback}: owner must not be null (leave it out for the default)`);
  if (typeof owner !== "string" || owner === "") {
    throw new TypeError(`${fallback}: owner must be a non-empty string, got ${showValue(owner)}`);
  }
  return owner;
}

/** Throws a TypeError unless `mask` is undefined, a function, a boolean or a tree (an object). Internal. */
export function checkMask(owner: string, name: string, mask: unknown): void {
  if (mask === undefined || typeof mask === "function" || typeof mask === "boolean") return;
  if (mask === null || typeof mask !== "object" || ArrayBuffer.isView(mask)) {
    throw new TypeError(
      `${owner}: ${name} must be a function (path, leaf) => boolean or a tree of booleans, got ${showValue(mask)}`,
    );
  }
}
