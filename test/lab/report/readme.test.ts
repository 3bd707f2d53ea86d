import { existsSync, readFileSync } from "node:fs";
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
    expect(s).toContain("of 1 claims, 0 hold, 1 hold only under a condition, 0 do not hold.");
    expect(s).toContain(
      "| [The v scar](docs/CLAIMS.md) `v-scar` | **holds only when β2 \\| 0.99** | 230 steps |",
    );
    expect(replaceSection(`a\n${BEGIN}\nold\n${END}\nb`, "NEW")).toBe("a\nNEW\nb");
    expect(() => replaceSection("no markers", "x")).toThrow(/markers/);
  });

  it("in README.md matches docs/lab/results.json (regenerate with npm run lab:readme)", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const file = new URL("../../../docs/lab/results.json", import.meta.url);
    expect(existsSync(file), "docs/lab/results.json is missing: run npm run lab && npm run lab:readme").toBe(
      true,
    );
    const committed = JSON.parse(readFileSync(file, "utf8")) as LabResults;
    expect(committed.mode).not.toBe("smoke");
    expect(replaceSection(readme, readmeSection(committed))).toBe(readme);
  });
});
