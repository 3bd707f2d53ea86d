import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ExperimentResult, Verdict } from "../../src/lab/experiment.ts";
import type { LabResults } from "../../src/lab/report/results.ts";
import { aggregate, classOf, directionOf, RUNS, runSeed } from "../../src/lab/verdicts.ts";

const run = (seed: number, verdict: Verdict, value?: number, label = "R²") => ({
  seed,
  result: {
    setup: "s.",
    metrics: { x: seed },
    keyNumber: `k${seed}`,
    judgement: {
      verdict,
      reason: `r${seed}`,
      ...(value === undefined ? {} : { deciding: { label, value, threshold: "≥ 0.9" } }),
    },
    figures: [],
    seeds: [seed * 10 + 1],
  } satisfies ExperimentResult,
});

describe("verdicts over seeds", () => {
  it("classes: the four verdicts, whatever the condition", () => {
    expect(classOf("holds only when β2 is large")).toBe("holds only when");
    expect(classOf("inconclusive")).toBe("inconclusive");
    expect(classOf("error")).toBe("error");
    expect(RUNS).toEqual({ smoke: 1, quick: 3, full: 5 });
    // disjoint seed sets for --seed 0, 1, 2
    const sets = [0, 1, 2].map((b) => [0, 1, 2, 3, 4].map((r) => runSeed(b, r)));
    expect(new Set(sets.flat()).size).toBe(15);
  });

  it("unanimous: the verdict, in n of n seeds, the deciding quantity's mean and range", () => {
    const a = aggregate([run(0, "holds", 0.95), run(1, "holds", 0.91), run(2, "holds", 0.99)]);
    expect(a.result.judgement.verdict).toBe("holds");
    expect(a.agreement).toEqual({ k: 3, n: 3 });
    expect(a.seedSensitive).toBe(false);
    expect(a.result.keyNumber).toBe("k0; R² 0.95 (mean; 0.91–0.99 over 3 seeds; rule ≥ 0.9)");
    expect(a.result.judgement.reason).toMatch(/^In 3 of 3 seeds\. Seed 0: r0/);
    expect(a.result.seeds).toEqual([1, 11, 21]);
  });

  it("a majority: its class, the dissenting seed named, marked seed-sensitive; figures from the majority's first run", () => {
    const a = aggregate([
      run(0, "does not hold", 0.88),
      run(1, "holds only when x", 0.93),
      run(2, "holds only when y", 0.97),
    ]);
    expect(a.result.judgement.verdict).toBe("holds only when x");
    expect(a.agreement).toEqual({ k: 2, n: 3 });
    expect(a.seedSensitive).toBe(true);
    expect(a.result.metrics).toEqual({ x: 1 });
    expect(a.result.judgement.reason).toMatch(/seed-sensitive: seed 0: does not hold \(R² 0\.88\)/);
    expect(a.result.judgement.reason).toMatch(/The condition varies with the seed: "x", "y"/);
    expect(a.runs.map((r) => r.verdict)).toEqual(["does not hold", "holds only when x", "holds only when y"]);
  });

  it("seeds that differ only between holds and holds only when: k of n, same direction, not seed-sensitive", () => {
    const a = aggregate([
      run(0, "holds only when x", 0.93),
      run(1, "holds", 0.95),
      run(2, "holds only when x", 0.92),
    ]);
    expect(a.result.judgement.verdict).toBe("holds only when x");
    expect(a.agreement).toEqual({ k: 2, n: 3 });
    expect(a.seedSensitive).toBe(false);
    expect(a.result.judgement.reason).toMatch(/^In 2 of 3 seeds \(otherwise: seed 1: holds \(R² 0\.95\)\)/);
    expect(directionOf("holds only when x")).toBe("for");
    expect(directionOf("does not hold")).toBe("against");
    expect(directionOf("inconclusive")).toBe("unresolved");
    // inconclusive beside does not hold: the seeds do not agree on the evidence
    expect(
      aggregate([run(0, "inconclusive"), run(1, "does not hold"), run(2, "inconclusive")]).seedSensitive,
    ).toBe(true);
  });

  it("no majority: inconclusive, every seed's verdict listed", () => {
    const a = aggregate([run(0, "holds"), run(1, "does not hold"), run(2, "inconclusive")]);
    expect(a.result.judgement.verdict).toBe("inconclusive");
    expect(a.result.judgement.reason).toMatch(
      /The seeds disagree: seed 0 holds; seed 1 does not hold; seed 2 inconclusive/,
    );
    expect(a.seedSensitive).toBe(true);
    const even = aggregate([
      run(0, "holds"),
      run(1, "holds"),
      run(2, "does not hold"),
      run(3, "does not hold"),
    ]);
    expect(even.result.judgement.verdict).toBe("inconclusive");
  });

  it("deciding quantities of different branches are listed per seed, not averaged", () => {
    const a = aggregate([run(0, "holds", 0.95, "A"), run(1, "holds", 0.5, "B"), run(2, "holds", 0.97, "A")]);
    expect(a.result.keyNumber).toContain("seed 0: A 0.95 (rule ≥ 0.9); seed 1: B 0.5");
  });

  it("one run (deterministic or smoke): its own verdict and reason", () => {
    const a = aggregate([run(0, "holds only when z", 1)]);
    expect(a.result.judgement).toMatchObject({ verdict: "holds only when z", reason: "r0" });
    expect(a.agreement).toEqual({ k: 1, n: 1 });
    expect(a.result.setup).toBe("s.");
  });
});

describe("the committed quick results at base seeds 0, 1, 2", () => {
  const dir = new URL("../../docs/lab/", import.meta.url);
  const read = (f: string) => JSON.parse(readFileSync(new URL(f, dir), "utf8")) as LabResults;
  it("agree in verdict class on every claim but those seed 0's report marks seed-sensitive, at most 2", () => {
    const main = read("results.json");
    const others = readdirSync(dir)
      .filter((f) => /^results-seed\d+\.json$/.test(f))
      .map(read);
    expect(others.map((o) => o.seed).sort()).toEqual([1, 2]);
    const marked = Object.entries(main.claims)
      .filter(([, c]) => c.seedSensitive)
      .map(([id]) => id);
    expect(marked.length).toBeLessThanOrEqual(2);
    const differ = Object.keys(main.claims).filter((id) =>
      others.some((o) => classOf(o.claims[id]!.verdict) !== classOf(main.claims[id]!.verdict)),
    );
    expect(differ.filter((id) => !marked.includes(id))).toEqual([]);
  });
});
