/**
 * Plain, JSON-safe snapshots of transform state, and their validated restoration.
 *
 * Encoding: numbers stay numbers (NaN/±Infinity become `{ $num: "NaN" }`…), float arrays become
 * `{ $f32: base64 }` / `{ $f64: base64 }` of their little-endian bytes — exact, and ~3× smaller than
 * decimal text. Restoring checks the whole candidate against the live state (same keys, same kinds,
 * same dtypes and lengths, finite buffers, non-negative integer counts) before copying anything in.
 */
import { base64ToFloats, floatsToBase64 } from "./base64.js";
import { isFloatArray } from "./tree.js";

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
      /** A number JSON cannot hold. */
      $num: "NaN" | "Infinity" | "-Infinity";
    }
  | { [key: string]: Encoded };

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
  if (Array.isArray(state)) return state.map((x, i) => encodeState(x, `${path}.${i}`));
  if (typeof state === "object" && !ArrayBuffer.isView(state)) {
    const out: Record<string, Encoded> = {};
    for (const [k, v] of Object.entries(state)) {
      if (k.startsWith("$")) throw new TypeError(`${path}.${k}: state keys may not start with '$'`);
      if (v !== undefined) out[k] = encodeState(v, `${path}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${path}: cannot save a ${typeof state} in a state dict`);
}

/** Decodes, checking the candidate against `template` (the live state); throws naming the first problem. */
export function decodeStateLike(template: unknown, enc: unknown, path = "state"): unknown {
  const fail = (msg: string): never => {
    throw new TypeError(`${path}: ${msg}`);
  };
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
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) fail(`element ${i} is ${data[i]} (state buffers must be finite)`);
    }
    return data;
  }
  if (typeof template === "number") {
    let v: unknown = enc;
    if (isTag(enc, "$num")) v = Number(enc.$num);
    if (typeof v !== "number" || (isTag(enc, "$num") && Number.isFinite(v)))
      fail(`expected a number, got ${describe(enc)}`);
    if (path.endsWith(".count") && !(Number.isInteger(v) && (v as number) >= 0)) {
      fail(`a count must be a non-negative integer, got ${String(v)}`);
    }
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
    return template.map((t, i) => decodeStateLike(t, a[i], `${path}.${i}`));
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
      if (!(k in e)) fail(`missing key '${k}'`);
      out[k] = decodeStateLike(t[k], e[k], `${path}.${k}`);
    }
    return out;
  }
  return fail(`unsupported state value ${describe(template)}`);
}

/** Copies a decoded state (already checked against `target`) into `target`, in place. */
export function copyStateInto(target: unknown, source: unknown): void {
  if (Array.isArray(target)) {
    const s = source as unknown[];
    for (let i = 0; i < target.length; i++) {
      if (isFloatArray(target[i])) (target[i] as Float64Array).set(s[i] as Float64Array);
      else if (target[i] !== null && typeof target[i] === "object") copyStateInto(target[i], s[i]);
      else target[i] = s[i];
    }
  } else if (target !== null && typeof target === "object") {
    const t = target as Record<string, unknown>;
    const s = source as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (isFloatArray(t[k])) (t[k] as Float64Array).set(s[k] as Float64Array);
      else if (t[k] !== null && typeof t[k] === "object") copyStateInto(t[k], s[k]);
      else t[k] = s[k];
    }
  }
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "nothing";
  if (Array.isArray(x)) return "an array";
  if (isTag(x, "$f32")) return "a float32 array";
  if (isTag(x, "$f64")) return "a float64 array";
  if (typeof x === "object") return "an object";
  return `${typeof x} ${JSON.stringify(x)}`;
}
