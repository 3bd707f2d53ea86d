/**
 * The values the fuzz suites feed where options, arguments and state go: plausible ones (so that
 * some inputs build), and everything a careless caller or a corrupted file can hand over — null,
 * NaN, ±Infinity, negative and huge numbers, strings, arrays, nested objects, objects without a
 * prototype, functions returning anything, typed arrays, symbols and BigInts.
 */
import fc from "fast-check";
import * as m from "momenta-optim";

/** Numbers: the defaults' neighbourhood, the edges of every range, and the non-finite. */
export const NUMBERS = [
  0,
  -0,
  1,
  0.5,
  0.9,
  0.99,
  0.999,
  2,
  3,
  5,
  10,
  100,
  1e-3,
  1e-8,
  1.5,
  -1,
  -0.5,
  -1e-8,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e308,
  -1e308,
  2 ** 53,
  2 ** 31,
  5e-324,
];

/** Strings: every enumerated option value momenta knows, and names that look up the prototype chain. */
export const STRINGS = [
  "",
  "auto",
  "reference",
  "js",
  "wasm",
  "ops",
  "arrays",
  "lr",
  "multiplier",
  "cos",
  "linear",
  "cosine",
  "1-sqrt",
  "triangular",
  "triangular2",
  "exp_range",
  "cycle",
  "iterations",
  "min",
  "max",
  "rel",
  "abs",
  "y",
  "z",
  "original",
  "match_rms_adamw",
  "muon",
  "adamw",
  "toString",
  "__proto__",
  "constructor",
  "0.1",
];

/** Callbacks as a caller might pass them: schedules, masks, labels — returning anything, never throwing. */
export const FUNCTIONS: (() => (...a: never[]) => unknown)[] = [
  () => () => 0.5,
  () => () => 0,
  () => () => Number.NaN,
  () => () => -1,
  () => () => "0.1",
  () => () => undefined,
  () => () => null,
  () => () => true,
  () => () => false,
  () => (c: number) => 0.1 / (1 + c),
  () => () => ({}),
  () => () => 1e308,
  () => () => "muon",
  () => () => Symbol("label"),
  () => (path: string) => path.length > 1,
];

/** Arrays, fresh each time. */
export const ARRAYS: (() => unknown[])[] = [
  () => [],
  () => [0.9, 0.999],
  () => [null, 1e-3],
  () => [0.9],
  () => [1, 2, 3],
  () => [3.4445, -4.775, 2.0315],
  () => [0, 5, 10],
  () => [0.9, "x"],
  () => [[0.9]],
  () => [null],
  () => [Number.NaN, 0.5],
  () => [() => 0.9, 0.99],
  () => [2, 1],
];

/** Objects, fresh each time: plain, nested, prototype-less, and class instances. */
export const OBJECTS: (() => object)[] = [
  () => ({}),
  () => ({ a: 1 }),
  () => Object.create(null),
  () => ({ w: true, b: false }),
  () => ({ w: "muon", b: "adamw" }),
  () => ({ lr: 0.1 }),
  () => ({ nested: { deeper: [1, { x: null }] } }),
  () => new Map(),
  () => new Date(0),
  () => new Float64Array(3),
  () => ({ data: new Float64Array(2), shape: [2] }),
  () => ({ init: () => null }),
  () => ({ init: () => null, update: 5 }),
];

/** Gradient transformations (and near misses), for the arguments that take one. */
export const TRANSFORMS: (() => unknown)[] = [
  () => m.sgd(),
  () => m.adam(),
  () => m.scale(0.5),
  () => m.identity(),
  () => m.sgd({ lr: (c) => 0.1 / (1 + c), momentum: 0.9 }),
];

const pick = <T>(list: readonly (() => T)[]) => fc.constantFrom(...list).map((make) => make());

/** Any value (not an object with known keys: see `optionsOf`). */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 2, arbitrary: pick(ARRAYS) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...NUMBERS, null, "x"), { maxLength: 4 }) },
  { weight: 2, arbitrary: pick(OBJECTS) },
  { weight: 3, arbitrary: pick(FUNCTIONS) },
  { weight: 1, arbitrary: pick(TRANSFORMS) },
  { weight: 1, arbitrary: fc.constantFrom(10n, -1n, Symbol("value")) },
);

/** Values an option is likely to accept (so that changed options often still build). */
export const plausible: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 0.1, 0.5, 0.9, 0.99, 1, 2, 3, 1e-3, 1e-6, 10) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** weightDecay → weight_decay, tMax → t_max: PyTorch's spelling of a momenta option. */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** An object with these own keys (`__proto__` included, as `JSON.parse` makes it). */
export function objectOf(pairs: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of pairs)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/**
 * Options objects for a constructor that allows `keys`: valid options (`base`, the required ones) with
 * one or two changed, dropped or added; or a handful of its own names with any values; often PyTorch's
 * snake_case spelling of one, sometimes a near miss or a stranger; and sometimes no object at all
 * (undefined, null, a number, a string, an array, a function).
 */
export function optionsOf(
  keys: readonly string[],
  base: Record<string, unknown> = {},
): fc.Arbitrary<unknown> {
  const own = keys.length > 0 ? keys : ["lr"];
  const snakes = own.map(snake).filter((s, i) => s !== own[i]);
  const names = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...own) },
    { weight: 1, arbitrary: fc.constantFrom(...(snakes.length > 0 ? snakes : ["weight_decay"])) },
    { weight: 1, arbitrary: fc.constantFrom(...own).map((k) => k.slice(0, -1) || "x") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "foo",
        "__proto__",
        "constructor",
        "toString",
        "owner",
        "weight_decay",
        "LR",
      ),
    },
  );
  const object = fc.array(fc.tuple(names, anyValue), { maxLength: 5 }).map(objectOf);
  const required = Object.keys(base);
  const dropped =
    required.length === 0
      ? fc.constant(undefined)
      : fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom(...required) },
        );
  const value = fc.oneof(plausible, anyValue);
  const mutated = fc
    .tuple(dropped, fc.array(fc.tuple(names, value), { minLength: 1, maxLength: 2 }))
    .map(([drop, changed]) => objectOf([...Object.entries(base).filter(([k]) => k !== drop), ...changed]));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 10, arbitrary: mutated },
    { weight: 6, arbitrary: object },
    { weight: 2, arbitrary: anyValue },
  );
}

/** A number argument: usually a plausible one, sometimes anything. */
export const numberArg: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 0.5, 1, 2, 1e-3, 0.1) },
  { weight: 2, arbitrary: anyValue },
);

/** A transformation argument: usually a real one, sometimes anything. */
export const transformArg: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: pick(TRANSFORMS) },
  { weight: 1, arbitrary: anyValue },
);
