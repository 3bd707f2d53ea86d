/**
 * bfloat16 storage: exact read-back of every pattern, round-to-nearest-even, and stochastic
 * rounding that is unbiased (the mean of many roundings is the value), lands only on the two
 * neighbours, keeps ±∞ and NaN, never rounds a finite value up to ∞, and draws bits that depend
 * only on (key, index).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fromBfloat16,
  roundingBits,
  roundingKey,
  toBfloat16,
  toBfloat16Nearest,
} from "../../src/precision/bfloat16.ts";

const f32 = (x: number) => Math.fround(x);

describe("bfloat16", () => {
  it("reads back every finite pattern exactly and writes it back unchanged, either rounding", () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = fromBfloat16(h);
      if (!Number.isFinite(x)) continue;
      expect(toBfloat16Nearest(x)).toBe(h);
      // a value that is already a bfloat16 has nothing to round, whatever the random bits
      expect(toBfloat16(x, 0)).toBe(h);
      expect(toBfloat16(x, 0xffff)).toBe(h);
    }
  });

  it("rounds to nearest, ties to even", () => {
    expect(fromBfloat16(toBfloat16Nearest(1 + 2 ** -8))).toBe(1); // tie: 1 is even
    expect(fromBfloat16(toBfloat16Nearest(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6); // tie: up to even
    expect(fromBfloat16(toBfloat16Nearest(1 + 2 ** -8 + 2 ** -20))).toBe(1 + 2 ** -7);
    expect(fromBfloat16(toBfloat16Nearest(-1.00390625))).toBe(-1);
  });

  it("keeps ±∞ and NaN, and never rounds a finite value up to ∞", () => {
    expect(fromBfloat16(toBfloat16(Number.POSITIVE_INFINITY, 0xffff))).toBe(Number.POSITIVE_INFINITY);
    expect(fromBfloat16(toBfloat16(Number.NEGATIVE_INFINITY, 0))).toBe(Number.NEGATIVE_INFINITY);
    expect(fromBfloat16(toBfloat16(Number.NaN, 0))).toBeNaN();
    expect(fromBfloat16(toBfloat16Nearest(Number.NaN))).toBeNaN();
    const max = 3.4028234663852886e38; // float32's largest: above bfloat16's
    expect(Number.isFinite(fromBfloat16(toBfloat16(max, 0xffff)))).toBe(true);
    expect(Number.isFinite(fromBfloat16(toBfloat16(-max, 0xffff)))).toBe(true);
  });

  it("rounds stochastically to one of the two neighbours, up with probability its distance (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.float({ noNaN: true, noDefaultInfinity: true, min: f32(-1e30), max: f32(1e30) }),
        (x) => {
          const lo = fromBfloat16(toBfloat16(x, 0)); // truncation: toward zero
          const hi = fromBfloat16(toBfloat16(x, 0xffff));
          if (lo === x) return;
          expect(Math.abs(lo)).toBeLessThanOrEqual(Math.abs(x));
          expect(Math.abs(hi)).toBeGreaterThanOrEqual(Math.abs(x));
          // the mean over every random draw is x: Σ over r of the rounding = 2¹⁶·x, exactly
          let sum = 0;
          for (let r = 0; r < 0x10000; r += 1) sum += fromBfloat16(toBfloat16(x, r));
          expect(Math.abs(sum / 0x10000 / f32(x) - 1)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps small updates on average where round-to-nearest loses them all", () => {
    // v ← 0.999·v + 0.001·g², g² = 0: 2000 decays of 1 with hashed bits, against exact
    let sr = toBfloat16Nearest(1);
    let rn = sr;
    const key = (t: number) => roundingKey(7, t, 0);
    for (let t = 0; t < 2000; t++) {
      sr = toBfloat16(0.999 * fromBfloat16(sr), roundingBits(key(t), 0));
      rn = toBfloat16Nearest(0.999 * fromBfloat16(rn));
    }
    const exact = 0.999 ** 2000;
    expect(fromBfloat16(rn)).toBe(1); // each decay is below half a gap: never moves
    expect(Math.abs(fromBfloat16(sr) / exact - 1)).toBeLessThan(0.1);
  });

  it("draws bits from (key, index) alone: uniform, and different for each step, buffer and seed", () => {
    const counts = new Array(16).fill(0);
    const key = roundingKey(1, 2, 3);
    for (let i = 0; i < 1 << 16; i++) counts[roundingBits(key, i) >>> 12]++;
    for (const c of counts) expect(Math.abs(c - 4096)).toBeLessThan(4 * 64); // 4 σ
    expect(roundingBits(key, 5)).toBe(roundingBits(roundingKey(1, 2, 3), 5));
    const keys = new Set([
      roundingKey(1, 2, 3),
      roundingKey(1, 2, 4),
      roundingKey(1, 3, 3),
      roundingKey(2, 2, 3),
      roundingKey(0, 0, 0),
    ]);
    expect(keys.size).toBe(5);
  });
});
