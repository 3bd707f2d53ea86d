/** Writes the report folder: index.html and results.json. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabRecord } from "../record.ts";
import { renderReport } from "./html.ts";
import type { LabResults } from "./results.ts";

export async function writeReport(
  records: readonly LabRecord[],
  results: LabResults,
  out: string,
): Promise<{ html: string; json: string }> {
  mkdirSync(out, { recursive: true });
  const html = join(out, "index.html");
  const json = join(out, "results.json");
  writeFileSync(html, await renderReport(records, results));
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  return { html, json };
}
