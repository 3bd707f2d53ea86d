import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BEGIN, END, readmeSection, replaceSection } from "../../../src/lab/report/readme.ts";
import type { LabResults } from "../../../src/lab/report/results.ts";

const results: LabResults = {
  mode: "quick",
  seed: 0,
  command: "npm run lab",
  claims: {
    "v-scar": {
      title: "The v scar",
      claim: "c",
      problemIds: [],
      verdict: "holds only when β2 | 0.99",
      reason: "r",
      keyNumber: "230\nsteps",
      setup: "",
      metrics: {},
      seeds: [1],
    },
  },
};

describe("the README's Lab section", () => {
  it("is a table generated from results.json, pipes and newlines escaped", () => {
    const s = readmeSection(results);
    expect(s.startsWith(BEGIN)).toBe(true);
    expect(s.endsWith(END)).toBe(true);
    expect(s).toContain(
      "of 1 claims, 0 hold, 1 hold only under a condition, 0 do not hold, 0 inconclusive (0 seed-sensitive).",
    );
    expect(s).toContain(
      "| [The v scar](docs/CLAIMS.md) `v-scar` | **holds only when β2 \\| 0.99** | 230 steps |",
    );
    expect(replaceSection(`a\n${BEGIN}\nold\n${END}\nb`, "NEW")).toBe("a\nNEW\nb");
    expect(() => replaceSection("no markers", "x")).toThrow(/markers/);
  });

  it("adds a column with the full run's verdict where it differs", () => {
    const full: LabResults = {
      ...results,
      mode: "full",
      command: "npm run lab -- --full",
      claims: { "v-scar": { ...results.claims["v-scar"]!, verdict: "holds", keyNumber: "99 steps" } },
    };
    const s = readmeSection(results, full);
    expect(s).toContain("| claim | verdict | key number | with --full |");
    expect(s).toContain("| 230 steps | **holds** (99 steps) |");
    expect(s).toContain("`npm run lab -- --full` (one seed per claim");
    expect(readmeSection(results, results)).toContain("| 230 steps | same |");
  });

  it("says k of n seeds where the seeds disagree, and lists inconclusive claims apart", () => {
    const c = results.claims["v-scar"]!;
    const many: LabResults = {
      ...results,
      claims: {
        "v-scar": { ...c, agreement: { k: 2, n: 3 }, seedSensitive: true },
        ravine: { ...c, title: "Ravine", agreement: { k: 2, n: 3 }, seedSensitive: false },
        sgdr: {
          ...c,
          title: "SGDR",
          verdict: "inconclusive",
          agreement: { k: 1, n: 3 },
          seedSensitive: true,
        },
      },
    };
    const s = readmeSection(many);
    expect(s).toContain("each claim run at 3 seeds");
    expect(s).toContain("| **holds only when β2 \\| 0.99** (2 of 3 seeds, seed-sensitive) |");
    // the seeds split between holds and holds only when: k of n, not seed-sensitive
    expect(s).toContain("`ravine` | **holds only when β2 \\| 0.99** (2 of 3 seeds) |");
    expect(s).toContain("1 inconclusive (2 seed-sensitive)");
    const [decided, open] = s.split("Inconclusive —");
    expect(decided).not.toContain("`sgdr`");
    expect(open).toContain(
      "| [SGDR](docs/CLAIMS.md) `sgdr` | **inconclusive** (1 of 3 seeds, seed-sensitive) |",
    );
  });

  it("says how the verdict classes hold up at other base seeds", () => {
    const c = results.claims["v-scar"]!;
    const at = (seed: number, verdict: string): LabResults => ({
      ...results,
      seed,
      claims: { "v-scar": { ...c, verdict }, sgdr: { ...c, verdict: "holds" } },
    });
    const base = { ...at(0, "holds only when x"), claims: { ...at(0, "holds only when x").claims } };
    base.claims["v-scar"] = { ...base.claims["v-scar"]!, seedSensitive: true };
    const s = readmeSection(base, undefined, [at(1, "holds only when y"), at(2, "does not hold")]);
    expect(s).toContain(
      "Re-run at base seeds 0, 1, 2 (`--seed`): 1 of 2 claims reach the same verdict class at every one; `v-scar`: holds only when (seed 0) / holds only when (seed 1) / does not hold (seed 2), marked seed-sensitive.",
    );
  });

  it("in README.md matches docs/lab/results*.json (regenerate with npm run lab:readme)", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const file = new URL("../../../docs/lab/results.json", import.meta.url);
    const fullFile = new URL("../../../docs/lab/results-full.json", import.meta.url);
    expect(existsSync(file), "docs/lab/results.json is missing: run npm run lab && npm run lab:readme").toBe(
      true,
    );
    const read = (u: URL) => JSON.parse(readFileSync(u, "utf8")) as LabResults;
    const committed = read(file);
    expect(committed.mode).toBe("quick");
    const full = existsSync(fullFile) ? read(fullFile) : undefined;
    if (full) expect(full.mode).toBe("full");
    const dir = new URL("../../../docs/lab/", import.meta.url);
    const others = readdirSync(dir)
      .filter((f) => /^results-seed\d+\.json$/.test(f))
      .map((f) => read(new URL(f, dir)))
      .sort((a, b) => a.seed - b.seed);
    expect(replaceSection(readme, readmeSection(committed, full, others))).toBe(readme);
  });
});
