/**
 * The MNIST page's static asset (public/mnist-digits.bin.gz, written by scripts/build-digits.ts from
 * the `mnist` package through @momenta/mnist's fixed split): a few thousand digits as one gzip'd
 * binary, each grey level quantized to a byte (the package's levels are k/255 rounded to three
 * decimals, so the byte is k itself and decoding gives k/255).
 *
 * Layout, little-endian: "MNDG", then uint32 version, train count, test count; the labels (one byte
 * each, train then test); the pixels (784 bytes a digit, row-major, train then test).
 */
import { CLASSES, type Digits, PIXELS } from "@momenta/mnist";

const MAGIC = 0x47444e4d; // "MNDG" read as a little-endian uint32
const VERSION = 1;
const HEADER = 16;

export interface DigitSplit {
  train: Digits;
  test: Digits;
}

/** A grey level in [0, 1] as the byte k with k/255 nearest to it. */
const quantize = (x: number) => Math.min(255, Math.max(0, Math.round(x * 255)));

/** The split as the asset's bytes (before gzip). */
export function encodeDigits({ train, test }: DigitSplit): Uint8Array {
  const n = train.size + test.size;
  const out = new Uint8Array(HEADER + n * (1 + PIXELS));
  const view = new DataView(out.buffer);
  [MAGIC, VERSION, train.size, test.size].forEach((word, i) => {
    view.setUint32(4 * i, word, true);
  });
  out.set(train.labels, HEADER);
  out.set(test.labels, HEADER + train.size);
  out.set(Uint8Array.from(train.images, quantize), HEADER + n);
  out.set(Uint8Array.from(test.images, quantize), HEADER + n + train.size * PIXELS);
  return out;
}

/** The asset's bytes (gunzipped) as digits with grey levels k/255; throws on anything else. */
export function decodeDigits(bytes: Uint8Array): DigitSplit {
  if (bytes.length < HEADER) throw new Error("mnist-digits: the asset is shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, train, test] = [0, 1, 2, 3].map((i) => view.getUint32(4 * i, true)) as [
    number,
    number,
    number,
    number,
  ];
  if (magic !== MAGIC || version !== VERSION)
    throw new Error("mnist-digits: not a version-1 digits asset (rebuild it with build-digits.ts)");
  const n = train + test;
  if (bytes.length !== HEADER + n * (1 + PIXELS))
    throw new Error(`mnist-digits: ${bytes.length} bytes do not hold ${train} + ${test} digits`);
  const labels = bytes.subarray(HEADER, HEADER + n);
  if (labels.some((l) => l >= CLASSES)) throw new Error("mnist-digits: a label is not a digit 0–9");
  const pixels = bytes.subarray(HEADER + n);
  const set = (from: number, size: number): Digits => {
    const images = new Float32Array(size * PIXELS);
    const levels = pixels.subarray(from * PIXELS, (from + size) * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = levels[i]! / 255;
    return { images, labels: new Uint8Array(labels.subarray(from, from + size)), size };
  };
  return { train: set(0, train), test: set(train, test) };
}
