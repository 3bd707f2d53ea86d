/**
 * Runs README blocks the way a user would, in plain Node (no Vitest, no bundler):
 *
 *   node --conditions=momenta-source --import tsx scripts/test/readme-run.ts <results.json> <block.ts>…
 *
 * imports the blocks one after another and writes, for each, what it passed to `console.log` (as
 * JSON: typed arrays become arrays, non-finite numbers strings) and, when it threw, the error.
 * `scripts/test/readme.test.ts` starts it and checks the results.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export interface BlockRun {
  file: string;
  /** The arguments of each `console.log` call, JSON-encoded and decoded. */
  logs: unknown[][];
  /** The error's stack (or message) when the block threw. */
  error?: string;
  ms: number;
}

const plain = (_key: string, value: unknown) => {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as Float64Array);
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return String(value);
  return value;
};

const [out, ...files] = process.argv.slice(2);
if (!out) throw new Error("usage: readme-run.ts <results.json> <block.ts>…");
const runs: BlockRun[] = [];
const log = console.log;
for (const file of files) {
  const logs: unknown[][] = [];
  console.log = (...args: unknown[]) => {
    logs.push(args);
  };
  const start = performance.now();
  let error: string | undefined;
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    console.log = log;
  }
  const run: BlockRun = {
    file,
    logs: JSON.parse(JSON.stringify(logs, plain)),
    ms: performance.now() - start,
  };
  if (error !== undefined) run.error = error;
  runs.push(run);
}
writeFileSync(out, JSON.stringify(runs, null, 1));
// A block may leave handles open (a worker, a timer): the results are written, so end here.
process.exit(0);
