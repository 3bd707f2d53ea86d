/**
 * The whole Lab, end to end, in smoke mode through the CLI: every claim of docs/CLAIMS.md has an
 * experiment, each runs in a worker thread, and the report has a section with a figure for each.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { EXPERIMENT_IDS, EXTRA_EXPERIMENTS, loadExperiment } from "../../src/lab/registry.ts";
import type { LabResults } from "../../src/lab/report/results.ts";

const out = mkdtempSync(join(tmpdir(), "momenta-lab-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const claimsText = readFileSync(new URL("../../docs/CLAIMS.md", import.meta.url), "utf8");

function claimIds(): string[] {
  return [...claimsText.matchAll(/^\| ([a-z0-9-]+) \|/gm)].map((m) => m[1]!).filter((id) => id !== "id");
}

/** The seeds' problem ids cited in a claim's row (the 7-digit numbers of its "(…)" references). */
function problemIdsOf(id: string): string[] {
  const row = new RegExp(`^\\| ${id} \\| (.*?) \\|`, "m").exec(claimsText)![1]!;
  return [...row.matchAll(/\b(\d{7})\b/g)].map((m) => m[1]!);
}

describe("the Lab", () => {
  it("has an experiment for every claim of CLAIMS.md, each exporting its own id", async () => {
    const claims = claimIds();
    expect(claims.length).toBeGreaterThanOrEqual(30);
    for (const id of claims) {
      expect(EXPERIMENT_IDS).toContain(id);
      // Each experiment cites the seed problems its claim row cites.
      expect([...(await loadExperiment(id)).problemIds].sort(), id).toEqual(
        expect.arrayContaining(problemIdsOf(id)),
      );
    }
    // The experiments beyond CLAIMS.md are exactly the ones the registry says are extra.
    expect(EXPERIMENT_IDS.filter((id) => !claims.includes(id))).toEqual([...EXTRA_EXPERIMENTS]);
    for (const id of EXPERIMENT_IDS) {
      const e = await loadExperiment(id);
      expect(e.id).toBe(id);
      expect(e.claim.length).toBeGreaterThan(20);
      expect(e.cost).toBeGreaterThan(0);
    }
    await expect(loadExperiment("nope")).rejects.toThrow(/unknown experiment 'nope'/);
  });

  it("runs every experiment (smoke) in worker threads and reports each with a figure", {
    timeout: 300_000,
  }, async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await main(["lab", "--smoke", "--out", out, "--workers", "2", "--no-progress"], {
      stdout: { write: (s: string) => stdout.push(s) },
      stderr: { write: (s: string) => stderr.push(s) },
    });
    expect(stderr.join(""), stderr.join("")).not.toContain("failed:");
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as LabResults;
    expect(Object.keys(results.claims)).toEqual([...EXPERIMENT_IDS]);
    expect(results).toMatchObject({ mode: "smoke", seed: 0, command: "npm run lab -- --smoke" });
    for (const c of Object.values(results.claims)) {
      expect(c.verdict).toMatch(/^(holds|does not hold|inconclusive|holds only when .+)$/);
      expect(c.reason.length).toBeGreaterThan(10);
      // Deterministic experiments (no random draw at all) report no seed.
      expect(Array.isArray(c.seeds)).toBe(true);
    }
    const html = readFileSync(join(out, "index.html"), "utf8");
    const sections = html.split("<section ").slice(1);
    expect(sections.map((s) => /^id="([^"]+)"/.exec(s)![1])).toEqual([...EXPERIMENT_IDS]);
    for (const s of sections) {
      expect(s).toContain("<figure><svg");
      expect(s).toMatch(/<figcaption><strong>[^<]+<\/strong> \S/);
      expect(s).toContain('<span class="verdict');
    }
    // The verdict table on stdout lists every claim.
    for (const id of EXPERIMENT_IDS) expect(stdout.join("")).toContain(id);
  });
});
