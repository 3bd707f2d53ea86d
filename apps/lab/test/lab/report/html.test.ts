import { describe, expect, it } from "vitest";
import { lines } from "../../../src/lab/plot/index.ts";
import type { LabRecord } from "../../../src/lab/record.ts";
import { countLine, escapeHtml, renderReport, verdictClass } from "../../../src/lab/report/html.ts";
import { commandFor, toResults } from "../../../src/lab/report/results.ts";

const ok: LabRecord = {
  id: "v-scar",
  title: "The <v> scar",
  claim: "A rare huge gradient inflates v & suppresses the lr.",
  problemIds: ["3096062"],
  seconds: 1.5,
  result: {
    setup: "one spike",
    metrics: { recovery: 230 },
    keyNumber: "230 steps",
    judgement: { verdict: "holds only when β2 ≥ 0.99", reason: "because" },
    figures: [
      {
        title: "Effective lr",
        caption: "look at the dip",
        spec: lines({
          x: { label: "t" },
          y: { label: "lr" },
          series: [{ name: "β2=0.999", x: [0, 1], y: [1, 2] }],
        }),
      },
    ],
    tables: [{ caption: "t", columns: ["a"], rows: [["<b>"]] }],
    seeds: [1, 2],
  },
};
const failed: LabRecord = {
  id: "ravine",
  title: "Ravine",
  claim: "c",
  problemIds: [],
  seconds: 0,
  error: "Error: boom",
};

describe("the report", () => {
  it("escapes text and classes verdicts", () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;");
    expect(verdictClass("holds")).toBe("holds");
    expect(verdictClass("does not hold")).toBe("fails");
    expect(verdictClass("holds only when x")).toBe("partly");
    expect(verdictClass("error")).toBe("error");
  });

  it("results.json keys claims by id, with the reproducing command and no timings", () => {
    const r = toResults([ok, failed], "quick", 0, commandFor("quick", 0));
    expect(Object.keys(r.claims)).toEqual(["v-scar", "ravine"]);
    expect(r.command).toBe("npm run lab");
    expect(r.claims["v-scar"]).toMatchObject({ verdict: "holds only when β2 ≥ 0.99", seeds: [1, 2] });
    expect(r.claims.ravine).toMatchObject({ verdict: "error", reason: "the experiment failed: Error: boom" });
    expect(JSON.stringify(r)).not.toContain("seconds");
    expect(commandFor("full", 7, ["a", "b"])).toBe("npm run lab -- --full --seed 7 --only a,b");
  });

  it("the page has a verdict table, one section per claim with its figure, and nothing to fetch", async () => {
    const results = toResults([ok, failed], "quick", 0, "npm run lab");
    const html = await renderReport([ok, failed], results);
    expect(html).toContain('<section id="v-scar">');
    expect(html).toContain('<section id="ravine">');
    expect(html).toContain("The &#60;v&#62; scar");
    expect(html).toContain("&#60;b&#62;");
    expect(html.match(/<figure><svg/g)).toHaveLength(1);
    expect(html).toContain("(seed problem 3096062)");
    expect(html).not.toContain("[@problem_id");
    expect(html).toContain("Error: boom");
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain("<p>2 claims: ");
  });

  it("counts the claims of CLAIMS.md apart from the further experiments", () => {
    expect(countLine([{ id: "v-scar" }, { id: "ravine" }, { id: "modern-optimizers" }])).toBe(
      "3 experiments (2 claims of docs/CLAIMS.md and 1 further)",
    );
    expect(countLine([{ id: "oscillating-gradient" }])).toBe("1 further experiment");
    expect(countLine([{ id: "v-scar" }])).toBe("1 claim");
  });
});
