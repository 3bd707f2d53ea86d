/**
 * `momenta lab` (`npm run lab`): runs the experiments, shows progress, writes the report and prints
 * the verdict table. Returns the exit code: 0 when every experiment ran (whatever its verdict),
 * 1 when one failed to run.
 */

import type { Experiment, Mode } from "./experiment.ts";
import type { LabOptions } from "./options.ts";
import { LabProgress, type Output, verdictOf } from "./progress.ts";
import type { LabRecord } from "./record.ts";
import { EXPERIMENT_IDS, loadExperiment } from "./registry.ts";
import { commandFor, toResults } from "./report/results.ts";
import { writeReport } from "./report/write.ts";
import { runLab, runsOf } from "./runner.ts";

export async function runLabCommand(o: LabOptions, io: { stdout: Output; stderr: Output }): Promise<number> {
  const started = performance.now();
  io.stderr.write(
    `momenta lab: ${o.ids.length} claim${o.ids.length === 1 ? "" : "s"}, ${o.mode} mode, seed ${o.seed}, ${o.workers} worker thread${o.workers === 1 ? "" : "s"}\n`,
  );
  const display = new LabProgress(o.progress ? io.stderr : { write: () => {} }, o.ids.length);
  const records = await runLab({
    ids: o.ids,
    mode: o.mode,
    seed: o.seed,
    workers: o.workers,
    onEvent: (e) => display.handle(e),
  });
  display.finish();
  const all = o.ids.length === EXPERIMENT_IDS.length;
  const results = toResults(records, o.mode, o.seed, commandFor(o.mode, o.seed, all ? undefined : o.ids));
  const paths = await writeReport(records, results, o.out);
  io.stdout.write(verdictTable(records, io.stdout.columns ?? 120));

  io.stderr.write(budgetTable(records, o.mode, await loadAll(o.ids)));
  const failed = records.filter((r) => r.error !== undefined);
  for (const r of failed) io.stderr.write(`\n${r.id} failed:\n${r.error}\n`);
  io.stderr.write(
    `\nreport: ${paths.html}\nresults: ${paths.json}\n${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return failed.length > 0 ? 1 : 0;
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...out, line] : [""];
}

/** The claim | verdict | key number table, cells wrapped so a row fits the terminal. */
export function verdictTable(records: readonly LabRecord[], columns: number): string {
  const idWidth = Math.max(...records.map((r) => r.id.length), 5);
  const verdictWidth = Math.min(34, Math.max(...records.map((r) => verdictOf(r).length), 7));
  const keyWidth = Math.max(30, columns - idWidth - verdictWidth - 5);
  const lines = [`${"claim".padEnd(idWidth)}  ${"verdict".padEnd(verdictWidth)}  key number`];
  for (const r of records) {
    const v = wrap(verdictOf(r), verdictWidth);
    const k = wrap(r.result?.keyNumber ?? "", keyWidth);
    for (let i = 0; i < Math.max(v.length, k.length); i++) {
      const row = `${(i === 0 ? r.id : "").padEnd(idWidth)}  ${(v[i] ?? "").padEnd(verdictWidth)}  ${k[i] ?? ""}`;
      lines.push(row.trimEnd());
    }
  }
  return `${lines.join("\n")}\n`;
}

async function loadAll(ids: readonly string[]): Promise<Map<string, Experiment>> {
  const out = new Map<string, Experiment>();
  for (const id of ids) out.set(id, await loadExperiment(id));
  return out;
}

/**
 * Each experiment's measured time (summed over its runs, on one core) beside what it declares
 * (`cost` or `fullCost` per run × runs), and the total: the budget every experiment is held to
 * (quick ≤ 10 min, --full ≤ 90 min on the 2-core reference machine, both cores busy).
 */
export function budgetTable(
  records: readonly LabRecord[],
  mode: Mode,
  experiments: Map<string, Experiment>,
): string {
  const rows = records.map((r) => {
    const e = experiments.get(r.id)!;
    const runs = runsOf(e, mode);
    const declared = (mode === "full" ? e.fullCost : e.cost) * runs;
    return { id: r.id, runs, measured: r.seconds, declared };
  });
  const sum = (k: "measured" | "declared") => rows.reduce((s, r) => s + r[k], 0);
  const lines = [
    `\nbudget (${mode} mode; seconds on one core, summed over each claim's runs):`,
    `${"claim".padEnd(22)} runs  measured  declared`,
    ...rows
      .sort((a, b) => b.measured - a.measured)
      .map(
        (r) =>
          `${r.id.padEnd(22)} ${String(r.runs).padStart(4)} ${r.measured.toFixed(1).padStart(9)} ${r.declared.toFixed(1).padStart(9)}${r.measured > 1.5 * r.declared ? "  over" : ""}`,
      ),
    `${"total".padEnd(22)}      ${sum("measured").toFixed(1).padStart(9)} ${sum("declared").toFixed(1).padStart(9)}`,
  ];
  return `${lines.join("\n")}\n`;
}
