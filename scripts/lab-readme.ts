/**
 * `npm run lab:readme [results.json]`: copies a Lab run's results.json (default
 * lab-report/results.json) to docs/lab/results.json and regenerates the README's "What the Lab
 * found" table from it.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readmeSection, replaceSection } from "../src/lab/report/readme.ts";
import type { LabResults } from "../src/lab/report/results.ts";

const source = process.argv[2] ?? "lab-report/results.json";
const results = JSON.parse(readFileSync(source, "utf8")) as LabResults;
if (results.mode === "smoke") throw new Error(`${source} is a smoke run: its numbers are not findings`);
mkdirSync("docs/lab", { recursive: true });
if (source !== "docs/lab/results.json") copyFileSync(source, "docs/lab/results.json");
writeFileSync("README.md", replaceSection(readFileSync("README.md", "utf8"), readmeSection(results)));
console.log(
  `README.md: "What the Lab found" regenerated from ${source} (${Object.keys(results.claims).length} claims)`,
);
