/**
 * The Lab's report: one self-contained HTML page (inline CSS and SVG figures, no script, nothing
 * fetched), readable offline. A verdict table first, then one section per claim: the claim and its
 * seed references, the setup, the figures with what to look at, tables, the verdict and its reason,
 * the numbers behind it and the seeds.
 */
import { onEdge, type Table, type TuningGrid } from "../experiment.ts";
import { renderSvg } from "../plot/render.ts";
import type { LabRecord } from "../record.ts";
import { EXTRA_EXPERIMENTS } from "../registry.ts";
import type { LabResults } from "./results.ts";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function verdictClass(verdict: string): string {
  if (verdict === "holds") return "holds";
  if (verdict === "does not hold") return "fails";
  if (verdict.startsWith("holds only when")) return "partly";
  if (verdict === "inconclusive") return "inconclusive";
  return "error";
}

const CSS = `
body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1d1d1f}
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2.4em;border-top:1px solid #ddd;padding-top:1em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em;max-width:100%}th,td{border-bottom:1px solid #e3e3e3;padding:.35em .6em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f6f6}.verdict{display:inline-block;padding:.05em .55em;border-radius:.8em;font-weight:600;white-space:nowrap}
td .verdict{white-space:normal}
.holds{background:#dff3e3;color:#17692c}.fails{background:#fbe0de;color:#8d1c13}.partly{background:#fdf0d2;color:#7a5200}.error{background:#e6e6e6;color:#444}.inconclusive{background:#e4ecf7;color:#1f3f6b}.sensitive{font-size:.85em;color:#7a5200}
blockquote{margin:.6em 0;padding:.4em 1em;border-left:4px solid #8aa;background:#f7fafa}
figure{margin:1.2em 0}figcaption{font-size:.9em;color:#444;max-width:760px}figure svg{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:.7em;overflow:auto;font-size:.82em;max-height:26em}.meta{color:#555}.seeds{color:#666;font-size:.85em}
a{color:#0b5cad}`;

function table(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const rows = t.rows
    .map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(String(v))}</td>`).join("")}</tr>`)
    .join("");
  return `<table><caption>${escapeHtml(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** Each optimizer's tuning grid and its best, a best on the edge flagged. */
function gridsTable(grids: readonly TuningGrid[]): string {
  const fmt = (x: number) => String(Number(x.toPrecision(3)));
  return table({
    caption:
      "Tuning grids: each optimizer's values and the one it picked (a best on the grid's edge is flagged)",
    columns: ["optimizer", "axis", "values", "best", "on the edge"],
    rows: grids.map((g) => [
      g.optimizer,
      g.axis,
      g.values.map(fmt).join(", "),
      g.allFailed ? "— (fails at every value)" : fmt(g.best),
      onEdge(g) ? "yes" : "no",
    ]),
  });
}

function badge(verdict: string): string {
  return `<span class="verdict ${verdictClass(verdict)}">${escapeHtml(verdict)}</span>`;
}

/** "in 2 of 3 seeds — seed-sensitive" beside a verdict decided over several runs. */
function agreement(c: { agreement?: { k: number; n: number }; seedSensitive?: boolean }): string {
  if (!c.agreement || c.agreement.n <= 1) return "";
  const text = `in ${c.agreement.k} of ${c.agreement.n} seeds${c.seedSensitive ? " — seed-sensitive" : ""}`;
  return ` <span class="${c.seedSensitive ? "sensitive" : "meta"}">${escapeHtml(text)}</span>`;
}

/** The seed texts' problems a claim comes from, by number (the seeds cite them as [@problem_id:N]). */
function refs(ids: readonly string[]): string {
  if (ids.length === 0) return "";
  return `(seed problem${ids.length === 1 ? "" : "s"} ${ids.map((id) => escapeHtml(id)).join(", ")})`;
}

async function section(r: LabRecord, index: number, results: LabResults): Promise<string> {
  const head = `<section id="${escapeHtml(r.id)}"><h2>${index}. ${escapeHtml(r.title)} <small class="meta">(${escapeHtml(r.id)})</small></h2>
<blockquote>${escapeHtml(r.claim)} <span class="meta">${refs(r.problemIds)}</span></blockquote>`;
  if (!r.result) {
    return `${head}<p>${badge("error")} The experiment failed; no verdict.</p><pre>${escapeHtml(r.error ?? "")}</pre></section>`;
  }
  const res = r.result;
  const figures: string[] = [];
  for (const f of res.figures) {
    const svg = await renderSvg(f.spec);
    figures.push(
      `<figure>${svg}<figcaption><strong>${escapeHtml(f.title)}.</strong> ${escapeHtml(f.caption)}</figcaption></figure>`,
    );
  }
  return `${head}
<h3>Setup</h3><p>${escapeHtml(res.setup)}</p>
${figures.join("\n")}
${res.grids?.length ? gridsTable(res.grids) : ""}
${(res.tables ?? []).map(table).join("\n")}
<h3>Verdict</h3><p>${badge(res.judgement.verdict)}${agreement(results.claims[r.id]!)} ${escapeHtml(res.judgement.reason)}</p>
<p><strong>Key number:</strong> ${escapeHtml(res.keyNumber)}</p>
<details><summary>The numbers (metrics)</summary><pre>${escapeHtml(JSON.stringify(res.metrics, null, 1))}</pre></details>
<p class="seeds">Seeds: ${res.seeds.join(", ")}</p></section>`;
}

/** "32 experiments (30 claims of docs/CLAIMS.md and 2 further ones)", for the records in this report. */
export function countLine(records: readonly { id: string }[]): string {
  const extra = records.filter((r) => EXTRA_EXPERIMENTS.has(r.id)).length;
  const claims = records.length - extra;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (extra === 0) return plural(claims, "claim");
  if (claims === 0) return plural(extra, "further experiment");
  return `${plural(records.length, "experiment")} (${plural(claims, "claim")} of docs/CLAIMS.md and ${extra} further)`;
}

export async function renderReport(records: readonly LabRecord[], results: LabResults): Promise<string> {
  const counts = new Map<string, number>();
  for (const c of Object.values(results.claims)) {
    const k = verdictClass(c.verdict);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const summary = [
    ["holds", "hold"],
    ["partly", "hold only under a condition"],
    ["fails", "do not hold"],
    ["inconclusive", "are inconclusive"],
    ["error", "failed to run"],
  ]
    .filter(([k]) => counts.get(k!))
    .map(([k, label]) => `${counts.get(k!)} ${label}`)
    .join(", ");
  const rows = records
    .map((r) => {
      const c = results.claims[r.id]!;
      return `<tr><td><a href="#${escapeHtml(r.id)}">${escapeHtml(r.title)}</a></td><td>${badge(c.verdict)}${agreement(c)}</td><td>${escapeHtml(c.keyNumber)}</td></tr>`;
    })
    .join("\n");
  const sections: string[] = [];
  for (const [i, r] of records.entries()) sections.push(await section(r, i + 1, results));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>momenta Lab report</title><style>${CSS}</style></head>
<body>
<h1>The momenta Lab</h1>
<p class="meta">Every claim of docs/CLAIMS.md (what the seed texts say about Adam, AdamW and their companions), and the further experiments the Lab adds, put to a measured test. Mode: <strong>${escapeHtml(results.mode)}</strong>, seed ${results.seed}: each claim is run at several seeds and its verdict is the one a majority of them reach ("in k of n seeds"; a claim whose seeds point different ways — one finds it holding, another failing or unresolved — is marked seed-sensitive, one with no majority is inconclusive). Reproduce with <code>${escapeHtml(results.command)}</code>.</p>
<p>${escapeHtml(countLine(records))}: ${escapeHtml(summary)}.</p>
<p class="meta">Verdicts are decided by code from the measurements, with the thresholds stated in each experiment's source (apps/lab/src/lab/experiments/&lt;id&gt;.ts). A claim that does not hold is a finding, reported with its numbers.</p>
<table><thead><tr><th>Claim</th><th>Verdict</th><th>Key number</th></tr></thead><tbody>
${rows}
</tbody></table>
${sections.join("\n")}
</body></html>
`;
}
