/**
 * Plain, JSON-safe snapshots of transform state, and their validated restoration.
 *
 * Encoding: numbers stay numbers (NaN/±Infinity become `{ $num: "NaN" }`…), float arrays become
 * `{ $f32: base64 }` / `{ $f64: base64 }` of their little-endian bytes — exact, and ~3× smaller than
 * decimal text — and compact state likewise: bfloat16 words (a Uint16Array) `{ $bf16: base64 }`,
 * quantized bytes (a Uint8Array) `{ $u8: base64 }`. Restoring checks the whole candidate against the live state (same keys, same kinds,
 * same dtypes and lengths) and against what the state means, before copying anything in.
 *
 * One rule for values: what a run can produce, a state dict carries and `loadStateDict` reads back —
 * NaN and ±Infinity included (a diverged run's checkpoint can be inspected and resumed exactly as it
 * was) — and what no run can produce is refused: a negative second moment or accumulator (the
 * quantities under a square root: NaN params on the next step), a count that is not a whole number in
 * [0, 2^53) (`COUNT_KEYS`, `NON_NEGATIVE_KEYS` below, by the key names momenta's transforms use).
 * A transform checks what only it knows (e.g. injectHyperparams' live values) in its `checkState`.
 *
 * The optimizer state dict (`createOptimizer(…).stateDict()`), version 2:
 * `{ format: "momenta.optimizer", version: 2, step, paths, hyperparams, state }` — `hyperparams` the
 * settings at `step` (`encodeConfig`), `state` the encoded state. Version 1 had no `hyperparams`.
 *
 * How the format grows (so that every later kind of state extends this one format):
 * - A reader reads every version up to its own and refuses later ones by number; a writer writes
 *   its own. Bump `STATE_DICT_VERSION` for any change an older reader would misread or refuse, and
 *   keep reading the older versions (as `loadStateDict` reads version 1).
 * - A new buffer dtype gets its own one-key tag beside `$f32`/`$f64` (as `$bf16` and `$u8` did),
 *   holding the little-endian bytes in base64: exact, and an older reader refuses the tag by name.
 * - State whose size varies (L-BFGS's history of s/y pairs) is an array of entries under one key,
 *   each entry decoded against the live state's first entry; the transform's `checkState` bounds
 *   the length. The live state is the template for everything else, as now.
 * - State held elsewhere (on a GPU) is read back before encoding — `stateDict` of such an optimizer
 *   is asynchronous — and encodes to the same tags, so a checkpoint moves between backends.
 */
import {
  base64ToBytes,
  base64ToFloats,
  base64ToWords,
  bytesToBase64,
  floatsToBase64,
  wordsToBase64,
} from "./base64.js";
import { showValue } from "./hyper.js";
import { fromBfloat16, toBfloat16Nearest } from "./precision/bfloat16.js";
import {
  blockCount,
  dequantize,
  INT8_BLOCK,
  quantize,
  SIGNED_CODE,
  UNSIGNED_CODE,
} from "./precision/blockwise-int8.js";
import { type FloatArray, isFloatArray } from "./tree.js";

/**
 * The JSON-safe form of a state value: finite numbers, booleans, null, strings, arrays and plain
 * objects as they are; the rest tagged.
 */
export type Encoded =
  | number
  | boolean
  | null
  | string
  | Encoded[]
  | {
      /** A Float32Array: the base64 of its little-endian bytes. */
      $f32: string;
    }
  | {
      /** A Float64Array: the base64 of its little-endian bytes. */
      $f64: string;
    }
  | {
      /** A Uint16Array of bfloat16 bits (compact optimizer state): the base64 of its little-endian bytes. */
      $bf16: string;
    }
  | {
      /** A Uint8Array (8-bit quantized state): the base64 of its bytes. */
      $u8: string;
    }
  | {
      /** A number JSON cannot hold. */
      $num: "NaN" | "Infinity" | "-Infinity";
    }
  | { [key: string]: Encoded };

/** The optimizer state dict version this momenta writes (it reads 1 and 2). */
export const STATE_DICT_VERSION = 2;

/** A transform's settings for a state dict: numbers JSON cannot hold are tagged, as in state. */
export function encodeConfig(config: Record<string, number | boolean | string>): Record<string, Encoded> {
  const out: Record<string, Encoded> = {};
  for (const [k, v] of Object.entries(config)) out[k] = encodeState(v, `hyperparams.${k}`);
  return out;
}

/** Reads `hyperparams` back: an object of numbers, booleans and strings; throws naming the problem. */
export function decodeConfig(enc: unknown): Record<string, number | boolean | string> {
  if (enc === null || typeof enc !== "object" || Array.isArray(enc)) {
    throw new TypeError(`hyperparams: expected an object, got ${describe(enc)}`);
  }
  const out: Record<string, number | boolean | string> = {};
  for (const [k, v] of Object.entries(enc)) {
    let x: unknown = v;
    if (isTag(v, "$num")) x = NON_FINITE.get(v.$num);
    if (typeof x !== "number" && typeof x !== "boolean" && typeof x !== "string") {
      throw new TypeError(`hyperparams.${k}: expected a number, boolean or string, got ${describe(v)}`);
    }
    out[k] = x;
  }
  return out;
}

/** State keys that count steps or events in momenta's transforms and wrappers. */
export const COUNT_KEYS: ReadonlySet<string> = new Set([
  "count",
  "funcEvals",
  "nIter",
  "miniStep",
  "skipped",
  "consecutive",
  "clippedSteps",
]);

/**
 * State keys of quantities that are never negative: second moments and their running maxima,
 * squared-gradient accumulators, infinity norms, norms and sums of weights.
 */
export const NON_NEGATIVE_KEYS: ReadonlySet<string> = new Set([
  // an 8-bit block's scale is its largest magnitude
  "scales",
  "expAvgSq",
  "maxExpAvgSq",
  "squareAvg",
  "expAvgVar",
  "accDelta",
  "expInf",
  "sum",
  "rowVar",
  "colVar",
  "variance",
  "typical",
  "totalNorm",
  "weightSum",
  "lrMax",
  "rho",
]);

/**
 * State arrays whose length varies with the run, by key, and the template each entry is decoded
 * against, made from the live object holding the array (L-BFGS's history of (s, y, ρ): vectors
 * like its direction `d`). Their length is the transform's to bound, in its `checkState`.
 */
const VARIABLE_ARRAYS: Readonly<Record<string, (parent: Record<string, unknown>) => unknown>> = {
  history: (parent) => ({ s: parent.d, y: parent.d, rho: 0 }),
};

function isVariable(parent: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(VARIABLE_ARRAYS, key) && Array.isArray(parent[key]) && isFloatArray(parent.d);
}

/** The last key of a state path that names an object's field ("state.1.expAvgSq.0" → "expAvgSq"). */
function keyOf(path: string): string {
  const parts = path.split(".");
  for (let i = parts.length - 1; i >= 0; i--) if (!/^\d+$/.test(parts[i]!)) return parts[i]!;
  return "";
}

/** The typed arrays a state may hold: float buffers, bfloat16 bits, quantized bytes. */
function isStateArray(x: unknown): x is FloatArray | Uint16Array | Uint8Array {
  return isFloatArray(x) || x instanceof Uint16Array || x instanceof Uint8Array;
}

function isTag(x: unknown, tag: string): x is Record<string, string> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length === 1 && tag in x;
}

/** Encodes a state as plain JSON-safe data, exactly; `path` names the value in error messages. */
export function encodeState(state: unknown, path = "state"): Encoded {
  if (state === null || typeof state === "boolean" || typeof state === "string") return state;
  if (typeof state === "number") {
    return Number.isFinite(state) ? state : { $num: String(state) as "NaN" | "Infinity" | "-Infinity" };
  }
  if (state instanceof Float32Array) return { $f32: floatsToBase64(state) };
  if (state instanceof Float64Array) return { $f64: floatsToBase64(state) };
  if (state instanceof Uint16Array) return { $bf16: wordsToBase64(state) };
  if (state instanceof Uint8Array) return { $u8: bytesToBase64(state) };
  if (Array.isArray(state)) return state.map((x, i) => encodeState(x, `${path}.${i}`));
  if (typeof state === "object" && !ArrayBuffer.isView(state)) {
    const out: Record<string, Encoded> = {};
    for (const [k, v] of Object.entries(state)) {
      if (k.startsWith("$")) throw new TypeError(`${path}.${k}: state keys may not start with '$'`);
      if (k === "__proto__") throw new TypeError(`${path}: a state key may not be '__proto__'`);
      if (v !== undefined) out[k] = encodeState(v, `${path}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${path}: cannot save a ${typeof state} in a state dict`);
}

/** How a moment buffer is stored, live or in a state dict: float32/64, bfloat16 words, 8-bit blocks. */
export type StateStorage = "float32" | "float64" | "bfloat16" | "int8";

function liveStorage(x: unknown): StateStorage | undefined {
  if (x instanceof Float32Array) return "float32";
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Uint16Array) return "bfloat16";
  if (isQuantized(x)) return "int8";
  return undefined;
}

function isQuantized(x: unknown): x is { codes: Uint8Array; scales: Float32Array } {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  return Object.keys(o).length === 2 && o.codes instanceof Uint8Array && o.scales instanceof Float32Array;
}

function encodedStorage(x: unknown): StateStorage | undefined {
  if (isTag(x, "$f32")) return "float32";
  if (isTag(x, "$f64")) return "float64";
  if (isTag(x, "$bf16")) return "bfloat16";
  if (x !== null && typeof x === "object" && !Array.isArray(x)) {
    const o = x as Record<string, unknown>;
    if (Object.keys(o).length === 2 && isTag(o.codes, "$u8") && isTag(o.scales, "$f32")) return "int8";
  }
  return undefined;
}

/**
 * A saved moment buffer in another storage than the live one, converted to the live one: decoded
 * to its values (8-bit second moments hold √v: squared back), then stored as the live buffer stores
 * — float exactly or rounded to nearest, bfloat16 rounded to nearest, 8-bit to the nearest code.
 */
function convertMoment(
  template: unknown,
  enc: unknown,
  path: string,
  from: StateStorage,
  to: StateStorage,
): unknown {
  const square = NON_NEGATIVE_KEYS.has(keyOf(path));
  let values: Float64Array;
  if (from === "int8") {
    const e = enc as { codes: unknown; scales: unknown };
    const codes = decodeStateLike(new Uint8Array(lengthOf(template)), e.codes, `${path}.codes`) as Uint8Array;
    const scales = decodeStateLike(
      new Float32Array(blockCount(codes.length, INT8_BLOCK)),
      e.scales,
      `${path}.scales`,
    ) as Float32Array;
    values = new Float64Array(codes.length);
    dequantize(square ? UNSIGNED_CODE : SIGNED_CODE, codes, scales, INT8_BLOCK, values);
    if (square) for (let i = 0; i < values.length; i++) values[i] = values[i]! ** 2;
  } else {
    const like =
      from === "bfloat16"
        ? new Uint16Array(lengthOf(template))
        : from === "float32"
          ? new Float32Array(lengthOf(template))
          : new Float64Array(lengthOf(template));
    const data = decodeStateLike(like, enc, path) as FloatArray | Uint16Array;
    values = Float64Array.from(
      data as ArrayLike<number>,
      data instanceof Uint16Array ? fromBfloat16 : (x) => x,
    );
  }
  if (to === "float32") return Float32Array.from(values);
  if (to === "float64") return values;
  if (to === "bfloat16") return Uint16Array.from(values, toBfloat16Nearest);
  const codes = new Uint8Array(values.length);
  const scales = new Float32Array(blockCount(values.length, INT8_BLOCK));
  quantize(
    square ? UNSIGNED_CODE : SIGNED_CODE,
    square ? values.map(Math.sqrt) : values,
    INT8_BLOCK,
    codes,
    scales,
  );
  return { codes, scales };
}

function lengthOf(buffer: unknown): number {
  return isQuantized(buffer) ? buffer.codes.length : (buffer as ArrayLike<number>).length;
}

/** A buffer `loadStateDict` stored differently from how it was saved (with `convertState`). */
export interface Conversion {
  /** Where in the state, e.g. "state.0.expAvg.1". */
  path: string;
  /** As saved. */
  from: StateStorage;
  /** As loaded. */
  to: StateStorage;
}

/**
 * Decodes, checking the candidate against `template` (the live state); throws naming the first
 * problem. Given `conversions`, a moment buffer saved in another storage than the live one's
 * (float32 state loaded into a bfloat16 optimizer, …) is converted and listed there instead of
 * refused.
 */
export function decodeStateLike(
  template: unknown,
  enc: unknown,
  path = "state",
  conversions?: Conversion[],
): unknown {
  const fail = (msg: string): never => {
    throw new TypeError(`${path}: ${msg}`);
  };
  const to = liveStorage(template);
  const from = encodedStorage(enc);
  if (to && from && to !== from) {
    if (conversions) {
      const converted = convertMoment(template, enc, path, from, to);
      if (lengthOf(converted) !== lengthOf(template))
        fail(`expected ${lengthOf(template)} elements, got ${lengthOf(converted)}`);
      conversions.push({ path, from, to });
      return converted;
    }
    if ([to, from].some((x) => x === "bfloat16" || x === "int8"))
      fail(
        `saved as ${from}, but this optimizer stores ${to} (stateDtype): load with { convertState: true } to convert`,
      );
  }
  if (isFloatArray(template)) {
    const tag = template instanceof Float32Array ? "$f32" : "$f64";
    const dtype = template instanceof Float32Array ? "float32" : "float64";
    if (!isTag(enc, tag)) {
      const other = isTag(enc, "$f32") ? "float32" : isTag(enc, "$f64") ? "float64" : describe(enc);
      return fail(`expected a ${dtype} array of length ${template.length}, got ${other}`);
    }
    let data: Float32Array | Float64Array;
    try {
      data = base64ToFloats(enc[tag]!, dtype);
    } catch (e) {
      return fail((e as Error).message);
    }
    if (data.length !== template.length) {
      fail(`expected a ${dtype} array of length ${template.length}, got length ${data.length}`);
    }
    if (NON_NEGATIVE_KEYS.has(keyOf(path))) {
      for (let i = 0; i < data.length; i++) {
        // NaN passes: a NaN gradient leaves NaN here, and that state is what the run had.
        if (data[i]! < 0)
          fail(`element ${i} is ${data[i]}, but this accumulates squares and is never negative`);
      }
    }
    return data;
  }
  if (template instanceof Uint16Array || template instanceof Uint8Array) {
    const words = template instanceof Uint16Array;
    const [tag, kind] = words ? ["$bf16", "bfloat16 array"] : ["$u8", "byte array"];
    if (!isTag(enc, tag))
      return fail(`expected a ${kind} of length ${template.length}, got ${describe(enc)}`);
    let data: Uint16Array | Uint8Array;
    try {
      data = words ? base64ToWords(enc[tag]!) : base64ToBytes(enc[tag]!);
    } catch (e) {
      return fail((e as Error).message);
    }
    if (data.length !== template.length)
      fail(`expected a ${kind} of length ${template.length}, got length ${data.length}`);
    if (words && NON_NEGATIVE_KEYS.has(keyOf(path))) {
      for (let i = 0; i < data.length; i++) {
        if (fromBfloat16(data[i]!) < 0)
          fail(
            `element ${i} is ${fromBfloat16(data[i]!)}, but this accumulates squares and is never negative`,
          );
      }
    }
    return data;
  }
  if (typeof template === "number") {
    let v: unknown = enc;
    // only the three tags encodeState writes (as decodeConfig reads them): `{ $num: "foo" }` is not NaN
    if (isTag(enc, "$num")) v = NON_FINITE.get(enc.$num as string);
    if (typeof v !== "number") fail(`expected a number, got ${describe(enc)}`);
    const key = keyOf(path);
    if (COUNT_KEYS.has(key) && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
      fail(`a count must be a whole number from 0 to 2^53 − 1, got ${String(v)}`);
    }
    if (NON_NEGATIVE_KEYS.has(key) && (v as number) < 0) fail(`must not be negative, got ${String(v)}`);
    return v;
  }
  if (template === null || typeof template === "boolean" || typeof template === "string") {
    if (typeof enc !== typeof template || (template === null && enc !== null)) {
      fail(`expected ${describe(template)}, got ${describe(enc)}`);
    }
    return enc;
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(enc)) fail(`expected an array, got ${describe(enc)}`);
    const a = enc as unknown[];
    if (a.length !== template.length) fail(`expected ${template.length} entries, got ${a.length}`);
    return template.map((t, i) => decodeStateLike(t, a[i], `${path}.${i}`, conversions));
  }
  if (typeof template === "object") {
    if (enc === null || typeof enc !== "object" || Array.isArray(enc))
      fail(`expected an object, got ${describe(enc)}`);
    const e = enc as Record<string, unknown>;
    const t = template as Record<string, unknown>;
    const keys = Object.keys(t).filter((k) => t[k] !== undefined);
    for (const k of Object.keys(e)) if (!keys.includes(k)) fail(`unexpected key '${k}'`);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (!Object.hasOwn(e, k)) fail(`missing key '${k}'`);
      if (isVariable(t, k)) {
        if (!Array.isArray(e[k])) fail(`${k}: expected an array, got ${describe(e[k])}`);
        const entry = VARIABLE_ARRAYS[k]!(t);
        out[k] = (e[k] as unknown[]).map((x, i) =>
          decodeStateLike(entry, x, `${path}.${k}.${i}`, conversions),
        );
      } else out[k] = decodeStateLike(t[k], e[k], `${path}.${k}`, conversions);
    }
    return out;
  }
  return fail(`unsupported state value ${describe(template)}`);
}

/**
 * The bytes a state holds: its typed arrays' (moments, bfloat16 words, 8-bit codes and their block
 * scales, L-BFGS's history) and 8 per number (counts, scalars); an array reachable twice counts once.
 * Not the optimizer's gradient buffer or staging scratch: those are not state.
 */
export function stateBytes(state: unknown): number {
  const seen = new Set<object>();
  let bytes = 0;
  const visit = (x: unknown) => {
    if (typeof x === "number") bytes += 8;
    if (x === null || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) bytes += x.byteLength;
    else for (const v of Array.isArray(x) ? x : Object.values(x)) visit(v);
  };
  visit(state);
  return bytes;
}

/** Copies a decoded state (already checked against `target`) into `target`, in place. */
export function copyStateInto(target: unknown, source: unknown): void {
  if (Array.isArray(target)) {
    const s = source as unknown[];
    for (let i = 0; i < target.length; i++) {
      if (isStateArray(target[i])) (target[i] as Float64Array).set(s[i] as Float64Array);
      else if (target[i] !== null && typeof target[i] === "object") copyStateInto(target[i], s[i]);
      else target[i] = s[i];
    }
  } else if (target !== null && typeof target === "object") {
    const t = target as Record<string, unknown>;
    const s = source as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (isVariable(t, k)) {
        // a variable-length array takes the decoded entries (fresh arrays) in place of its own
        const list = t[k] as unknown[];
        list.length = 0;
        list.push(...(s[k] as unknown[]));
      } else if (isStateArray(t[k])) (t[k] as Float64Array).set(s[k] as Float64Array);
      else if (t[k] !== null && typeof t[k] === "object") copyStateInto(t[k], s[k]);
      else t[k] = s[k];
    }
  }
}

const NON_FINITE = new Map<unknown, number>([
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
]);

function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "nothing";
  if (Array.isArray(x)) return "an array";
  if (isTag(x, "$f32")) return "a float32 array";
  if (isTag(x, "$f64")) return "a float64 array";
  if (isTag(x, "$bf16")) return "a bfloat16 array";
  if (isTag(x, "$u8")) return "a byte array";
  if (isTag(x, "$num")) return `{ $num: ${showValue(x.$num)} }`;
  if (typeof x === "object") return "an object";
  if (typeof x === "function") return "a function";
  return `${typeof x} ${showValue(x)}`;
}
