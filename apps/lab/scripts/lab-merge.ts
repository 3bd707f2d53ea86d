/**
 * `npx tsx --conditions=momenta-source apps/lab/scripts/lab-merge.ts <results.json> <run.json>…`: puts
 * the claims of `--only` runs (their results.json) into a whole run's results file, replacing a
 * claim's old entry or adding a new one, in the registry's order — so one experiment added or changed
 * is measured without re-running the other thirty. Each run must have the file's mode and base seed:
 * every experiment derives its numbers from those alone (the complete --full run of session 11
 * reproduced every claim of the committed file), so the merged file is what the file's own command
 * would write. Then `npm run lab:readme` regenerates the README's table from the files.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { EXPERIMENT_IDS } from "../src/lab/registry.ts";
import type { LabResults } from "../src/lab/report/results.ts";

const [target, ...runs] = process.argv.slice(2);
if (!target || runs.length === 0) {
  console.error("usage: lab-merge.ts <results.json to update> <an --only run's results.json>…");
  process.exit(2);
}
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as LabResults;
const into = read(target);
const claims: Record<string, unknown> = { ...into.claims };
for (const file of runs) {
  const run = read(file);
  if (run.mode !== into.mode || run.seed !== into.seed)
    throw new Error(
      `${file}: a ${run.mode} run at base seed ${run.seed}; ${target} is ${into.mode} at seed ${into.seed}`,
    );
  for (const [id, claim] of Object.entries(run.claims)) {
    console.log(`${target}: ${id in claims ? "replaced" : "added"} ${id} from ${file}`);
    claims[id] = claim;
  }
}
const unknown = Object.keys(claims).filter((id) => !(EXPERIMENT_IDS as readonly string[]).includes(id));
if (unknown.length > 0) throw new Error(`claims the registry does not know: ${unknown.join(", ")}`);
const ordered = Object.fromEntries(EXPERIMENT_IDS.filter((id) => id in claims).map((id) => [id, claims[id]]));
writeFileSync(target, `${JSON.stringify({ ...into, claims: ordered }, null, 2)}\n`);
