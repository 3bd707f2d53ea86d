/**
 * `npm run lab:readme [quick results.json] [full results.json] [--seeds a.json,b.json]`: copies a Lab
 * run's results.json (default lab-report/results.json, relative to where you run it) to
 * apps/lab/docs/lab/results.json — a `--full` run's, when given, to apps/lab/docs/lab/results-full.json,
 * and quick runs at other base seeds (`--seeds`) to apps/lab/docs/lab/results-seed<s>.json — and
 * regenerates the Lab README's "What the Lab found" table from them. Files not given are removed, so
 * the README never cites a run it does not show.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readmeSection, replaceSection } from "../src/lab/report/readme.ts";
import type { LabResults } from "../src/lab/report/results.ts";

const app = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const QUICK = app("docs/lab/results.json");
const FULL = app("docs/lab/results-full.json");
const README = app("README.md");
const args = process.argv.slice(2);
const at = args.indexOf("--seeds");
const seedSources = at >= 0 ? (args[at + 1] ?? "").split(",").filter(Boolean) : [];
const [source = "lab-report/results.json", fullSource] =
  at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as LabResults;
const results = read(source);
if (results.mode !== "quick") throw new Error(`${source} is a ${results.mode} run: give the quick run first`);
const full = fullSource ? read(fullSource) : undefined;
if (full && full.mode !== "full") throw new Error(`${fullSource} is a ${full.mode} run, not --full`);
mkdirSync(app("docs/lab"), { recursive: true });
if (resolve(source) !== QUICK) copyFileSync(source, QUICK);
if (fullSource && resolve(fullSource) !== FULL) copyFileSync(fullSource, FULL);
if (!full && existsSync(FULL)) rmSync(FULL);
const others = seedSources.map(read);
for (const o of others) {
  if (o.mode !== "quick") throw new Error(`--seeds: a ${o.mode} run; give quick runs at other base seeds`);
  if (o.seed === results.seed) throw new Error(`--seeds: base seed ${o.seed} is the main run's`);
}
for (const f of readdirSync(app("docs/lab")))
  if (/^results-seed\d+\.json$/.test(f)) rmSync(app(`docs/lab/${f}`));
seedSources.forEach((f, i) => {
  copyFileSync(f, app(`docs/lab/results-seed${others[i]!.seed}.json`));
});
writeFileSync(README, replaceSection(readFileSync(README, "utf8"), readmeSection(results, full, others)));
console.log(
  `apps/lab/README.md: "What the Lab found" regenerated from ${source}${fullSource ? ` and ${fullSource}` : ""}`,
);
