/**
 * `npm run lab:readme [quick results.json] [full results.json]`: copies a Lab run's results.json
 * (default lab-report/results.json, relative to where you run it) to apps/lab/docs/lab/results.json —
 * and a `--full` run's, when given, to apps/lab/docs/lab/results-full.json — and regenerates the Lab
 * README's "What the Lab found" table from them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readmeSection, replaceSection } from "../src/lab/report/readme.ts";
import type { LabResults } from "../src/lab/report/results.ts";

const app = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const QUICK = app("docs/lab/results.json");
const FULL = app("docs/lab/results-full.json");
const README = app("README.md");
const [source = "lab-report/results.json", fullSource] = process.argv.slice(2);
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as LabResults;
const results = read(source);
if (results.mode !== "quick") throw new Error(`${source} is a ${results.mode} run: give the quick run first`);
const full = fullSource ? read(fullSource) : undefined;
if (full && full.mode !== "full") throw new Error(`${fullSource} is a ${full.mode} run, not --full`);
mkdirSync(app("docs/lab"), { recursive: true });
if (resolve(source) !== QUICK) copyFileSync(source, QUICK);
if (fullSource && resolve(fullSource) !== FULL) copyFileSync(fullSource, FULL);
if (!full && existsSync(FULL)) rmSync(FULL);
writeFileSync(README, replaceSection(readFileSync(README, "utf8"), readmeSection(results, full)));
console.log(
  `apps/lab/README.md: "What the Lab found" regenerated from ${source}${fullSource ? ` and ${fullSource}` : ""}`,
);
