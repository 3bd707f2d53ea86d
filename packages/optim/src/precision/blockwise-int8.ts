/**
 * 8-bit block-wise quantization with a dynamic code (Dettmers, Lewis, Shleifer & Zettlemoyer 2022,
 * "8-bit Optimizers via Block-wise Quantization"): an array is cut into blocks, each stored as one
 * float32 scale (its largest magnitude) and one byte per element, the index of the nearest value of
 * a fixed 256-value code for element / scale.
 *
 * The code is "dynamic tree" quantization: after the sign bit (signed code only), the run of leading
 * zero bits is a decimal exponent E (the value's order of magnitude, 10⁻ᴱ), the first 1 ends it, and
 * the bits after it split [0.1, 1]·10⁻ᴱ linearly (each byte stands for its bin's midpoint). Large
 * values get many fraction bits and small ones few, so values 10⁻⁶ (signed) or 10⁻⁷ (unsigned) of the
 * block's largest still have a code of their own: what Adam's second moment needs, whose entries in one block span decades
 * (a linear 8-bit code would round everything below 1/255 of the largest to zero — and then divide
 * by √0 + ε). The largest magnitude's code is exactly 1, so each block's largest element is stored
 * exactly (a midpoint there would shrink it by 0.35 % every time the state is written).
 */

import { roundingBits } from "./bfloat16.js";

/**
 * Elements per 8-bit block: 256, so 1.02 bytes per moment with its float32 scale (Adam: 2.03 per
 * param). Measured on Adam over a quadratic with 4 decades of curvature per block
 * (`scripts/state-precision.ts`; optimizer state: `transforms/compact-state.ts`): with stochastic
 * rounding the loss ratio to float32 state hardly depends on the block (16 to 256: 1.00 at step
 * 100, 1.01–1.06 at 200), where to nearest it grew with it (0.97–1.02 at 32, 1.24–1.43 at 128–256).
 */
export const INT8_BLOCK = 256;

/** A code: its 256 values, ascending (a byte is an index into it). */
export type Code = Float32Array;

/**
 * The magnitudes of the dynamic tree code with `bits` bits after the sign: for E leading zeros
 * (0 ≤ E < bits), 2^(bits − 1 − E) midpoints of [0.1, 1]·10⁻ᴱ; the largest replaced by 1.
 */
function magnitudes(bits: number): number[] {
  const out: number[] = [];
  for (let e = 0; e < bits; e++) {
    const bins = 2 ** (bits - 1 - e);
    for (let k = 0; k < bins; k++) out.push(10 ** -e * (0.1 + (0.9 * (k + 0.5)) / bins));
  }
  out[bins0(bits) - 1] = 1;
  return out;
}
/** How many values the top decade holds (its last is the largest magnitude). */
const bins0 = (bits: number) => 2 ** (bits - 1);

/** Sorted code values, as float32. */
function sorted(values: number[]): Code {
  const code = Float32Array.from(values).sort();
  if (code.length !== 256) throw new Error(`a code must have 256 values, got ${code.length}`);
  return code;
}

/**
 * The signed code (for values of either sign, e.g. Adam's first moment): ±127 magnitudes, 0.55·10⁻⁶
 * up to 1, and zero twice (+0 and −0).
 */
export const SIGNED_CODE: Code = sorted([0, 0, ...magnitudes(7).flatMap((m) => [m, -m])]);

/** The unsigned code (for values ≥ 0, e.g. the second moment): 255 magnitudes, 0.55·10⁻⁷ up to 1, and zero. */
export const UNSIGNED_CODE: Code = sorted([0, ...magnitudes(8)]);

/** The byte of the code value nearest to `x` (ties: the one of smaller magnitude); NaN → the byte of 0. */
export function encode(code: Code, x: number, table?: Int16Array): number {
  const lo = lastAtMost(code, x, table);
  if (lo < 0) return zeroByte(code);
  if (lo === 255) return 255;
  const below = code[lo]!;
  const above = code[lo + 1]!;
  const toBelow = x - below;
  const toAbove = above - x;
  if (toBelow < toAbove) return lo;
  if (toAbove < toBelow) return lo + 1;
  return Math.abs(below) <= Math.abs(above) ? lo : lo + 1;
}

/**
 * The byte of one of the two code values around `x`, the upper with probability (x − lower) /
 * (upper − lower) — `random16` uniform in [0, 2¹⁶) — so the value stored is right on average: an
 * exponential average whose steps are smaller than the code's gaps still moves (to nearest, it
 * would stay put). NaN → the byte of 0.
 */
export function encodeStochastic(code: Code, x: number, random16: number, table?: Int16Array): number {
  const lo = lastAtMost(code, x, table);
  if (lo < 0) return zeroByte(code);
  if (lo === 255 || code[lo] === x) return lo;
  const below = code[lo]!;
  // as bfloat16's rounding adds the random bits below the kept ones: 0 never rounds up
  return random16 + ((x - below) / (code[lo + 1]! - below)) * 65536 >= 65536 ? lo + 1 : lo;
}

/**
 * The last byte whose value is ≤ x; −1 for NaN (or below the code's least: not for x ≥ −1). A table
 * indexed by the float32's upper 16 bits (sign, exponent, 7 fraction bits: a bucket 0.8 % wide) gives
 * the answer for the bucket's least value, and a short scan (≤ 2 codes fall in a bucket) the rest —
 * the same byte as bisection (`lastAtMostBisect`), 4–5× sooner, which is most of an 8-bit step.
 */
export function lastAtMost(code: Code, x: number, table: Int16Array = bucketsOf(code)): number {
  if (Number.isNaN(x)) return -1;
  f32[0] = x;
  let lo = table[u32[0]! >>> 16]!;
  // rounding x to float32 may have carried it into the next bucket: step back, then forward
  while (lo >= 0 && code[lo]! > x) lo--;
  while (lo < 255 && code[lo + 1]! <= x) lo++;
  return lo;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const buckets = new WeakMap<Code, Int16Array>();

let signedBuckets: Int16Array | undefined;
let unsignedBuckets: Int16Array | undefined;

/**
 * For each float32 upper-16-bit pattern, `lastAtMost` of the least float32 with those bits: the
 * table `lastAtMost` starts from (built once per code; the WASM 8-bit kernel reads a copy).
 */
export function bucketsOf(code: Code): Int16Array {
  // the two codes the state uses without a map look-up (encode is called per element)
  if (code === SIGNED_CODE) {
    signedBuckets ??= buildBuckets(code);
    return signedBuckets;
  }
  if (code === UNSIGNED_CODE) {
    unsignedBuckets ??= buildBuckets(code);
    return unsignedBuckets;
  }
  let t = buckets.get(code);
  if (t === undefined) {
    t = buildBuckets(code);
    buckets.set(code, t);
  }
  return t;
}

function buildBuckets(code: Code): Int16Array {
  const t = new Int16Array(65536);
  for (let k = 0; k < 65536; k++) {
    // positive: the pattern with zero low bits is the least; negative: the one with all ones
    u32[0] = k & 0x8000 ? ((k << 16) | 0xffff) >>> 0 : (k << 16) >>> 0;
    const least = f32[0]!;
    t[k] = Number.isNaN(least) ? 255 : lastAtMostBisect(code, least);
  }
  return t;
}

/** `lastAtMost` by bisection: the definition the table is built from (and tested against). */
export function lastAtMostBisect(code: Code, x: number): number {
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (code[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return code[lo]! <= x ? lo : -1;
}

const zeros = new WeakMap<Code, number>();
/** The byte whose value is +0 (the higher of the signed code's two zeros). */
export function zeroByte(code: Code): number {
  let z = zeros.get(code);
  if (z === undefined) {
    z = code.lastIndexOf(0);
    zeros.set(code, z);
  }
  return z;
}

/** Blocks of `blockSize` elements in an array of n (the last one shorter). */
export function blockCount(n: number, blockSize: number): number {
  return Math.ceil(n / blockSize);
}

/**
 * Quantizes `x` block by block into `bytes` (one per element) and `scales` (one per block: the
 * block's largest magnitude), each element to the nearest code value — or, given `rounding`,
 * stochastically between its two neighbours, element i drawing `roundingBits(key, offset + i)`. A block whose
 * scale is 0 stores zeros; one holding a NaN or ±∞ gets that as its scale, and its every element
 * reads back as NaN (the state has diverged; the block says so rather than hiding it).
 */
export function quantize(
  code: Code,
  x: ArrayLike<number>,
  blockSize: number,
  bytes: Uint8Array,
  scales: Float32Array,
  rounding?: { key: number; offset: number },
): void {
  const n = x.length;
  for (let b = 0, start = 0; start < n; b++, start += blockSize) {
    const len = Math.min(blockSize, n - start);
    quantizeBlock(
      code,
      x,
      start,
      bytes,
      start,
      len,
      scales,
      b,
      rounding?.key,
      (rounding?.offset ?? 0) + start,
    );
  }
}

/**
 * One block of `quantize`: x[xAt, xAt + n) into bytes[at, at + n) and scales[b], element k drawing
 * `roundingBits(key, offset + k)` (no key: to nearest). Returns the scale as stored (float32). What
 * the optimizer state's 8-bit store writes each block with, without a view or closure per block.
 */
export function quantizeBlock(
  code: Code,
  x: ArrayLike<number>,
  xAt: number,
  bytes: Uint8Array,
  at: number,
  n: number,
  scales: Float32Array,
  b: number,
  key: number | undefined,
  offset: number,
): number {
  let scale = 0;
  for (let k = 0; k < n; k++) {
    const a = Math.abs(x[xAt + k]!);
    if (a > scale || Number.isNaN(a)) scale = a;
    if (Number.isNaN(a)) break;
  }
  scales[b] = scale;
  // divide by the float32 scale the bytes will be read back with
  const stored = scales[b]!;
  if (stored === 0 || !Number.isFinite(stored)) {
    bytes.fill(zeroByte(code), at, at + n);
    return stored;
  }
  const table = bucketsOf(code);
  if (key !== undefined)
    for (let k = 0; k < n; k++)
      bytes[at + k] = encodeStochastic(code, x[xAt + k]! / stored, roundingBits(key, offset + k), table);
  else for (let k = 0; k < n; k++) bytes[at + k] = encode(code, x[xAt + k]! / stored, table);
  return stored;
}

/** Element i's value: code[byte]·scale of its block (NaN where the block's scale is not finite). */
export function dequantize(
  code: Code,
  bytes: Uint8Array,
  scales: Float32Array,
  blockSize: number,
  out: { [i: number]: number; length: number },
): void {
  const n = out.length;
  for (let b = 0, start = 0; start < n; b++, start += blockSize) {
    const end = Math.min(start + blockSize, n);
    const scale = scales[b]!;
    const finite = Number.isFinite(scale);
    for (let i = start; i < end; i++) out[i] = finite ? code[bytes[i]!]! * scale : Number.NaN;
  }
}
