/**
 * `npm run lab:readme [quick results.json] [full results.json]`: copies a Lab run's results.json
 * (default lab-report/results.json) to docs/lab/results.json — and a `--full` run's, when given, to
 * docs/lab/results-full.json — and regenerates the README's "What the Lab found" table from them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readmeSection, replaceSection } from "../src/lab/report/readme.ts";
import type { LabResults } from "../src/lab/report/results.ts";

const QUICK = "docs/lab/results.json";
const FULL = "docs/lab/results-full.json";
const [source = "lab-report/results.json", fullSource] = process.argv.slice(2);
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as LabResults;
const results = read(source);
if (results.mode !== "quick") throw new Error(`${source} is a ${results.mode} run: give the quick run first`);
const full = fullSource ? read(fullSource) : undefined;
if (full && full.mode !== "full") throw new Error(`${fullSource} is a ${full.mode} run, not --full`);
mkdirSync("docs/lab", { recursive: true });
if (source !== QUICK) copyFileSync(source, QUICK);
if (fullSource && fullSource !== FULL) copyFileSync(fullSource, FULL);
if (!full && existsSync(FULL)) rmSync(FULL);
writeFileSync("README.md", replaceSection(readFileSync("README.md", "utf8"), readmeSection(results, full)));
console.log(
  `README.md: "What the Lab found" regenerated from ${source}${fullSource ? ` and ${fullSource}` : ""}`,
);
