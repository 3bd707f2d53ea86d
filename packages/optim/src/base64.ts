/** Exact, platform-independent encoding of float arrays as little-endian bytes in base64 (no Node Buffer, so it runs in browsers). */
import type { Dtype, FloatArray } from "./tree.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Standard base64 (with padding) of some bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    chunk += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    chunk += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : "=";
    chunk += i + 2 < bytes.length ? ALPHABET[n & 63]! : "=";
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = "";
    }
  }
  parts.push(chunk);
  return parts.join("");
}

/** The bytes of a standard base64 text; throws a TypeError on malformed input. */
export function base64ToBytes(text: string): Uint8Array {
  if (typeof text !== "string" || text.length % 4 !== 0)
    throw new TypeError("base64: length is not a multiple of 4");
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const ch = text.charCodeAt(i + k);
      const isPad = ch === 61 && i + k >= text.length - pad;
      const v = isPad ? 0 : ch < 128 ? LOOKUP[ch]! : -1;
      if (v < 0) throw new TypeError(`base64: invalid character at ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** The base64 of a float array's little-endian bytes: exact, and the same on every platform. */
export function floatsToBase64(a: FloatArray): string {
  const bytes = new Uint8Array(a.byteLength);
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  } else {
    const view = new DataView(bytes.buffer);
    const f64 = a instanceof Float64Array;
    for (let i = 0; i < a.length; i++) {
      if (f64) view.setFloat64(i * 8, a[i]!, true);
      else view.setFloat32(i * 4, a[i]!, true);
    }
  }
  return bytesToBase64(bytes);
}

/** The float array `floatsToBase64` encoded, given its dtype; throws a TypeError on malformed input. */
export function base64ToFloats(text: string, dtype: Dtype): FloatArray {
  const bytes = base64ToBytes(text);
  const width = dtype === "float64" ? 8 : 4;
  if (bytes.length % width !== 0)
    throw new TypeError(`base64: ${bytes.length} bytes is not a whole number of ${dtype}`);
  const n = bytes.length / width;
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++)
      out[i] = width === 8 ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true);
  }
  return out;
}

/** The base64 of 16-bit words' little-endian bytes (bfloat16 state): exact on every platform. */
export function wordsToBase64(a: Uint16Array): string {
  const bytes = new Uint8Array(a.byteLength);
  if (LITTLE_ENDIAN) bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  else {
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < a.length; i++) view.setUint16(i * 2, a[i]!, true);
  }
  return bytesToBase64(bytes);
}

/** The words `wordsToBase64` encoded; throws a TypeError on malformed input. */
export function base64ToWords(text: string): Uint16Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 2 !== 0)
    throw new TypeError(`base64: ${bytes.length} bytes is not a whole number of 16-bit words`);
  const out = new Uint16Array(bytes.length / 2);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint16(i * 2, true);
  }
  return out;
}
