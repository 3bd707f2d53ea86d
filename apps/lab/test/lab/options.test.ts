import { describe, expect, it } from "vitest";
import { LabOptionsError, parseLabOptions } from "../../src/lab/options.ts";
import { EXPERIMENT_IDS } from "../../src/lab/registry.ts";

function problems(input: Record<string, unknown>): string[] {
  try {
    parseLabOptions(input);
  } catch (e) {
    if (e instanceof LabOptionsError) return e.lines;
    throw e;
  }
  throw new Error("expected the options to be refused");
}

describe("momenta lab options", () => {
  it("defaults: every claim, quick mode, seed 0, lab-report/", () => {
    const o = parseLabOptions({});
    expect(o.ids).toEqual([...EXPERIMENT_IDS]);
    expect(o).toMatchObject({ mode: "quick", seed: 0, out: "lab-report", progress: true });
    expect(o.workers).toBeGreaterThanOrEqual(1);
  });

  it("--only keeps CLAIMS.md's order; --full, --seed, --workers, --no-progress", () => {
    const o = parseLabOptions({
      only: " v-scar, ravine ",
      full: true,
      seed: "42",
      workers: "0",
      out: "r",
      progress: false,
    });
    expect(o).toEqual({
      mode: "full",
      ids: ["ravine", "v-scar"],
      seed: 42,
      out: "r",
      workers: 0,
      progress: false,
    });
    expect(parseLabOptions({ smoke: true }).mode).toBe("smoke");
  });

  it("bad values get messages that say what is allowed", () => {
    const unknown = problems({ only: "ravine,adam-is-magic" });
    expect(unknown[0]).toContain("'adam-is-magic'");
    expect(unknown[0]).toContain("known: ravine, saddle");
    expect(problems({ only: " , " })[0]).toContain("no claim ids");
    expect(problems({ seed: "-1" })[0]).toContain("--seed: expected a whole number from 0 to 1000000");
    expect(problems({ seed: "1e3" })[0]).toContain("--seed");
    expect(problems({ workers: "99" })[0]).toContain("--workers: at most 64");
    expect(problems({ full: true, smoke: true })[0]).toContain("choose one");
    expect(problems({ bogus: 1 })[0]).toContain("unknown option(s): bogus");
  });
});
