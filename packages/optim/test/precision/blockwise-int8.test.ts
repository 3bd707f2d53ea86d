/**
 * Block-wise 8-bit quantization with the dynamic code: the codes' shape (256 ascending values,
 * exact 0 and ±1, seven decades), nearest-value encoding, each block's largest element stored
 * exactly, relative error bounded by the code's gaps across decades inside one block, and
 * non-finite blocks reported as NaN.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  blockCount,
  dequantize,
  encode,
  encodeStochastic,
  lastAtMost,
  lastAtMostBisect,
  quantize,
  SIGNED_CODE,
  UNSIGNED_CODE,
  zeroByte,
} from "../../src/precision/blockwise-int8.ts";

describe("the dynamic codes", () => {
  it("hold 256 ascending values: zero, ±1 exactly, and magnitudes down to 0.55·10⁻⁶ (signed) / 10⁻⁷ (unsigned)", () => {
    for (const [code, least] of [
      [SIGNED_CODE, 0.55e-6],
      [UNSIGNED_CODE, 0.55e-7],
    ] as const) {
      expect(code.length).toBe(256);
      for (let i = 1; i < 256; i++) expect(code[i]!).toBeGreaterThanOrEqual(code[i - 1]!);
      expect(code[255]).toBe(1);
      expect(code[zeroByte(code)]).toBe(0);
      const positive = Array.from(code).filter((v) => v > 0);
      expect(Math.min(...positive)).toBeCloseTo(Math.fround(least), 12);
    }
    expect(SIGNED_CODE[0]).toBe(-1);
    expect(UNSIGNED_CODE[0]).toBe(0);
    // a relative resolution in each decade: the top decade's gaps are 0.9/64 (signed) and 0.9/128
    expect(SIGNED_CODE[255]! - SIGNED_CODE[254]!).toBeCloseTo(1 - (0.1 + (0.9 * 62.5) / 64), 6);
  });

  it("encodes to the nearest value (fast-check against a linear scan)", () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.boolean(), (x, signed) => {
        const code = signed ? SIGNED_CODE : UNSIGNED_CODE;
        const v = signed ? x : Math.abs(x);
        const byte = encode(code, v);
        const best = Math.min(...Array.from(code, (c) => Math.abs(c - v)));
        expect(Math.abs(code[byte]! - v)).toBe(best);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the bucket table", () => {
  it("puts at most two codes in a bucket (the scan after the table's start is short)", () => {
    const u32 = new Uint32Array(1);
    const f32 = new Float32Array(u32.buffer);
    for (const code of [SIGNED_CODE, UNSIGNED_CODE]) {
      const perBucket = new Map<number, number>();
      for (const c of code) {
        f32[0] = c;
        const k = u32[0]! >>> 16;
        perBucket.set(k, (perBucket.get(k) ?? 0) + 1);
      }
      expect(Math.max(...perBucket.values())).toBeLessThanOrEqual(2);
    }
  });
  it("finds the same byte as bisection, at the codes' own values, beside them and anywhere (fast-check)", () => {
    for (const code of [SIGNED_CODE, UNSIGNED_CODE]) {
      // every code value, the float64s and float32s next to it (where rounding to float32 carries
      // a value into the next bucket), and the edges
      const probes = [-Infinity, -2, -1, 0, -0, 1, 2, Infinity, Number.NaN, 1e-300, -1e-300];
      for (const c of code)
        probes.push(
          c,
          c + 1e-12 * Math.abs(c),
          c - 1e-12 * Math.abs(c),
          nextFloat32(c, 1),
          nextFloat32(c, -1),
        );
      for (const x of probes) expect(lastAtMost(code, x)).toBe(lastAtMostBisect(code, x));
      fc.assert(
        fc.property(fc.double({ min: -1.5, max: 1.5 }), (x) => {
          expect(lastAtMost(code, x)).toBe(lastAtMostBisect(code, x));
        }),
        { numRuns: 3000 },
      );
    }
  });
});

/** The float32 after (dir 1) or before (−1) float32 `x`. */
function nextFloat32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const u = new Int32Array(f.buffer);
  if (x === 0) return dir * 1e-45;
  u[0]! += (x > 0 ? 1 : -1) * dir;
  return f[0]!;
}

describe("stochastic encoding", () => {
  it("lands on one of the two neighbours, and is right on average over all draws (fast-check)", () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (x) => {
        let below = 0;
        while (below < 255 && SIGNED_CODE[below + 1]! <= x) below++;
        const lo = SIGNED_CODE[below]!;
        const hi = SIGNED_CODE[Math.min(below + 1, 255)]!;
        expect(lo).toBeLessThanOrEqual(x);
        expect(hi).toBeGreaterThanOrEqual(x);
        let sum = 0;
        let elsewhere = 0; // counted, not expected per draw: 4,096 expects a case took 40 s
        for (let r = 0; r < 0x10000; r += 16) {
          const byte = encodeStochastic(SIGNED_CODE, x, r);
          if (byte !== below && byte !== Math.min(below + 1, 255)) elsewhere++;
          sum += SIGNED_CODE[byte]!;
        }
        expect(elsewhere).toBe(0);
        // 4,096 evenly spaced draws: the mean is within one draw's share of the gap
        expect(Math.abs(sum / 4096 - x)).toBeLessThanOrEqual((hi - lo) / 4096 + 1e-12);
      }),
      { numRuns: 300 },
    );
  });
});

describe("block-wise quantization", () => {
  it("stores each block's largest element exactly and the rest within the code's gap at their decade", () => {
    const n = 1000;
    const blockSize = 64;
    // magnitudes spanning 4 decades inside every block, both signs
    const x = Float32Array.from(
      { length: n },
      (_, i) => (i % 3 === 0 ? -1 : 1) * 10 ** -(((i * 7) % 41) / 10),
    );
    for (const [code, values] of [
      [SIGNED_CODE, x],
      [UNSIGNED_CODE, x.map(Math.abs)],
    ] as const) {
      const bytes = new Uint8Array(n);
      const scales = new Float32Array(blockCount(n, blockSize));
      quantize(code, values, blockSize, bytes, scales);
      const back = new Float32Array(n);
      dequantize(code, bytes, scales, blockSize, back);
      for (let b = 0; b < scales.length; b++) {
        const block = Array.from(values.subarray(b * blockSize, (b + 1) * blockSize));
        const largest = Math.max(...block.map(Math.abs));
        expect(scales[b]).toBe(largest);
        const at = b * blockSize + block.findIndex((v) => Math.abs(v) === largest);
        expect(back[at]).toBe(values[at]);
      }
      for (let i = 0; i < n; i++) {
        // within a decade 10⁻ᴱ of the scale the code's bins are 0.9·10⁻ᴱ / 2^(bits−1−E) wide: the
        // relative error stays below one bin over the decade's least value, 0.1·10⁻ᴱ
        const rel = Math.abs(back[i]! / values[i]! - 1);
        const ratio = Math.abs(values[i]!) / scales[Math.floor(i / blockSize)]!;
        const e = Math.min(Math.floor(-Math.log10(ratio)), 6);
        const bits = code === SIGNED_CODE ? 7 : 8;
        expect(rel, `element ${i} at ${ratio}`).toBeLessThanOrEqual(
          0.9 / 2 ** (bits - 1 - e) / 0.1 / 2 + 1e-6,
        );
      }
    }
  });

  it("keeps a zero block zero, and reads a block holding NaN or ∞ back as NaN", () => {
    const x = new Float32Array([0, 0, 0, 0, 1, Number.NaN, 2, 3, Number.POSITIVE_INFINITY, 1, 0, 0]);
    const bytes = new Uint8Array(x.length);
    const scales = new Float32Array(3);
    quantize(SIGNED_CODE, x, 4, bytes, scales);
    const back = new Float32Array(x.length);
    dequantize(SIGNED_CODE, bytes, scales, 4, back);
    expect(Array.from(back.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(back.subarray(4)).every(Number.isNaN)).toBe(true);
  });
});
