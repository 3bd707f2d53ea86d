/**
 * The MNIST page's asset (public/mnist-digits.bin.gz) is what scripts/build-digits.ts makes from the
 * `mnist` package through @momenta/mnist's fixed split — committed, so it must not drift from it —
 * and decoding gives the package's grey levels back to within their own three-decimal rounding.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { loadDigits, PIXELS, splitDigits } from "@momenta/mnist/node";
import { describe, expect, it } from "vitest";
import { ASSET, digitsAsset, TEST, TRAIN } from "../scripts/build-digits.ts";
import { decodeDigits, encodeDigits } from "../src/mnist/digits.ts";

describe("the MNIST page's digits", () => {
  const bytes = gunzipSync(readFileSync(ASSET));

  it("are the build script's output for the mnist package's fixed split", () => {
    expect(Buffer.compare(bytes, digitsAsset())).toBe(0);
  });

  it("decode to the split's digits, each grey level within 0.5/255 of the package's", () => {
    const { train, test } = decodeDigits(bytes);
    const want = splitDigits(loadDigits(), TRAIN, TEST);
    for (const [got, exp] of [
      [train, want.train],
      [test, want.test],
    ] as const) {
      expect(got.size).toBe(exp.size);
      expect(got.labels).toEqual(exp.labels);
      expect(got.images).toHaveLength(exp.size * PIXELS);
      let worst = 0;
      for (let i = 0; i < got.images.length; i++)
        worst = Math.max(worst, Math.abs(got.images[i]! - exp.images[i]!));
      expect(worst).toBeLessThanOrEqual(0.5 / 255);
    }
    // Re-encoding the decoded digits gives the same bytes: the quantization is exact on k/255.
    expect(Buffer.compare(encodeDigits({ train, test }), bytes)).toBe(0);
  });

  it("refuses bytes that are not a whole version-1 asset", () => {
    expect(() => decodeDigits(bytes.subarray(0, 8))).toThrow(/shorter than its header/);
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1))).toThrow(/do not hold/);
    const other = Uint8Array.from(bytes);
    other[0] = 0;
    expect(() => decodeDigits(other)).toThrow(/not a version-1/);
    const label = Uint8Array.from(bytes);
    label[16] = 10;
    expect(() => decodeDigits(label)).toThrow(/not a digit/);
  });
});
