/**
 * bfloat16 storage: a float32's upper 16 bits (sign, the 8 exponent bits, 7 fraction bits), so
 * float32's range at about 3 significant digits, in half the bytes.
 *
 * Written with stochastic rounding: a value between two bfloat16s rounds up with probability equal
 * to its distance from the lower one in units of their gap, so the stored value is right on average
 * and updates smaller than half a gap still move it (round-to-nearest drops every one of them — an
 * optimizer's state that decays by β = 0.999 a step changes by less than half a bfloat16 gap, 2⁻⁹,
 * and would freeze). The random bits are a hash of (key, index): deterministic, and the same however
 * the elements are split among threads or blocks.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 value of bfloat16 bits `h` (exact). */
export function fromBfloat16(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/**
 * `x` (rounded to float32 first) as bfloat16 bits, rounded up with probability (its low 16 bits) /
 * 2¹⁶: `random16` is a uniform integer in [0, 2¹⁶). ±∞ and NaN are kept (a NaN stays a NaN); a finite
 * value never rounds up to ±∞ (the largest bfloat16 is kept instead).
 */
export function toBfloat16(x: number, random16: number): number {
  f32[0] = x;
  const u = u32[0]!;
  // ±∞ keep their bits; a NaN keeps its sign and becomes a quiet NaN (its payload may sit in the low bits)
  if ((u & 0x7f800000) === 0x7f800000) return (u & 0x7fffff) === 0 ? u >>> 16 : (u >>> 16) | 0x40;
  const up = ((u + random16) >>> 16) & 0xffff;
  return (up & 0x7f80) === 0x7f80 ? u >>> 16 : up;
}

/** `x` as bfloat16 bits, rounded to nearest (ties to even): for conversions, not for running state. */
export function toBfloat16Nearest(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7f800000) === 0x7f800000) return (u & 0x7fffff) === 0 ? u >>> 16 : (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** murmur3's 32-bit finalizer: every input bit flips each output bit with probability ≈ ½. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The key of one write pass: a hash of the seed, the step and which buffer (`stream`), so every
 * element of every buffer draws fresh bits at every step.
 */
export function roundingKey(seed: number, step: number, stream: number): number {
  return mix32(mix32(mix32(seed >>> 0) ^ (step >>> 0)) ^ Math.imul(stream + 1, 0x9e3779b9));
}

/** The 16 random bits for element `index` of the pass keyed `key` (a Weyl sequence through mix32). */
export function roundingBits(key: number, index: number): number {
  return mix32((key + Math.imul(index, 0x9e3779b9)) >>> 0) >>> 16;
}
