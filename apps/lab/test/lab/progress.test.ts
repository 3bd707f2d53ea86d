import { describe, expect, it } from "vitest";
import { wrap } from "../../src/lab/main.ts";
import { LabProgress } from "../../src/lab/progress.ts";
import type { LabRecord } from "../../src/lab/record.ts";

const record = (id: string, error?: string): LabRecord => ({
  id,
  title: id,
  claim: "c",
  problemIds: [],
  seconds: 1.25,
  ...(error
    ? { error }
    : {
        result: {
          setup: "",
          metrics: {},
          keyNumber: "k",
          judgement: { verdict: "holds", reason: "r" },
          figures: [],
          seeds: [],
        },
      }),
});

describe("the Lab's progress display", () => {
  it("off a terminal: one line per finished claim, with its verdict or the error", () => {
    const out: string[] = [];
    const p = new LabProgress({ write: (s: string) => out.push(s) }, 2);
    p.handle({ type: "start", id: "ravine", label: "ravine", worker: 0 });
    p.handle({ type: "progress", id: "ravine", label: "ravine", fraction: 0.5, note: "κ = 100" });
    p.handle({ type: "run-done", id: "ravine", label: "ravine" });
    p.handle({ type: "done", record: record("ravine") });
    p.handle({ type: "done", record: record("saddle", "boom") });
    p.finish();
    expect(out.join("")).toBe(
      `✓ ${"ravine".padEnd(22)} ${"holds".padEnd(16)}    1.3 s\n✗ ${"saddle".padEnd(22)} ${"error".padEnd(16)}    1.3 s\n`,
    );
  });

  it("on a terminal: redraws an overall bar and a line per running experiment in place", () => {
    const out: string[] = [];
    const p = new LabProgress({ write: (s: string) => out.push(s), isTTY: true, columns: 80 }, 2);
    p.handle({ type: "start", id: "ravine", label: "ravine 1/3", worker: 0 });
    const text = out.join("");
    expect(text).toContain("Lab ░░░░░░░░░░░░░░░░░░░░░░░░ 0/2 claims");
    expect(text).toContain("  ravine 1/3");
    p.handle({ type: "done", record: record("ravine") });
    const after = out.join("");
    // The block is erased (cursor up + clear) before the finished line is printed.
    expect(after).toContain("\x1b[2A\x1b[J✓ ravine");
    expect(after).toContain("1/2 claims");
    for (const line of after.split("\n"))
      expect(line.replaceAll("\x1b", "").replace(/\[\d*[AJ]/g, "").length).toBeLessThan(80);
  });

  it("a claim run at several seeds says how many reached its verdict", () => {
    const out: string[] = [];
    const p = new LabProgress({ write: (s: string) => out.push(s) }, 1);
    p.handle({ type: "done", record: { ...record("sgdr"), agreement: { k: 2, n: 3 }, seedSensitive: true } });
    expect(out.join("")).toContain("holds (2 of 3 seeds)");
  });

  it("wraps table cells at word boundaries", () => {
    expect(wrap("holds only when the spike is large", 12)).toEqual([
      "holds only",
      "when the",
      "spike is",
      "large",
    ]);
    expect(wrap("", 10)).toEqual([""]);
    expect(wrap("averyveryverylongword x", 5)).toEqual(["averyveryverylongword", "x"]);
  });
});
