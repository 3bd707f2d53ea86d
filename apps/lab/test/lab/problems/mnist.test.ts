/** The Lab's MNIST helpers: the fixed split, a rare digit, swapped labels. */
import { describe, expect, it } from "vitest";
import {
  classCounts,
  makeRare,
  mnistSplit,
  PIXELS,
  subset,
  swapLabels,
} from "../../../src/lab/problems/mnist.ts";

describe("mnist helpers", () => {
  const { train, test } = mnistSplit(1000, 200);
  it("splits deterministically into real digits", () => {
    const again = mnistSplit(1000, 200);
    expect(again.train.labels).toEqual(train.labels);
    expect(test.images.length).toBe(200 * PIXELS);
    expect(Math.max(...train.images.subarray(0, PIXELS))).toBeLessThanOrEqual(1);
    expect(classCounts(train.labels).every((c) => c > 60)).toBe(true);
  });
  it("makes a digit rare, keeping every other digit whole", () => {
    const before = classCounts(train.labels);
    const rare = makeRare(train, 5, 0.05);
    const after = classCounts(rare.labels);
    expect(after[5]).toBe(Math.ceil(0.05 * before[5]!));
    after.forEach((c, d) => {
      if (d !== 5) expect(c).toBe(before[d]);
    });
    expect(rare.size).toBe(after.reduce((a, b) => a + b, 0));
  });
  it("swaps two labels and takes subsets in order", () => {
    const swapped = swapLabels(train, 5, 9);
    expect(classCounts(swapped.labels)[9]).toBe(classCounts(train.labels)[5]);
    const s = subset(train, [3, 1]);
    expect(s.labels).toEqual(Uint8Array.from([train.labels[3]!, train.labels[1]!]));
    expect(s.images.subarray(0, PIXELS)).toEqual(train.images.subarray(3 * PIXELS, 4 * PIXELS));
  });
});
