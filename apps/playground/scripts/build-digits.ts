/**
 * Writes the MNIST page's asset, public/mnist-digits.bin.gz: the first TRAIN digits of @momenta/mnist's
 * fixed split (the `mnist` package's 10,000, permuted once with a fixed seed) to train on and its last
 * TEST as the held-out set (the same digits as any 1,000-digit test set of the Lab and `momenta train`).
 * Deterministic: the same package gives the same digits. Run from the repository's root:
 * `npm run build:digits -w @momenta/playground`.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { loadDigits, splitDigits } from "@momenta/mnist/node";
import { encodeDigits } from "../src/mnist/digits.ts";

export const TRAIN = 3000;
export const TEST = 1000;
export const ASSET = fileURLToPath(new URL("../public/mnist-digits.bin.gz", import.meta.url));

/** The asset's bytes before gzip. */
export function digitsAsset(): Uint8Array {
  return encodeDigits(splitDigits(loadDigits(), TRAIN, TEST));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gz = gzipSync(digitsAsset(), { level: 9 });
  writeFileSync(ASSET, gz);
  console.log(`${ASSET}: ${TRAIN} + ${TEST} digits, ${(gz.length / 1024).toFixed(0)} KiB`);
}
