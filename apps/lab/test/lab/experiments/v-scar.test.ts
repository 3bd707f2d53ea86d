import { describe, expect, it } from "vitest";
import { experiment, judgeVScar } from "../../../src/lab/experiments/v-scar.ts";
import { smokeCheck } from "./smoke.ts";

describe("v-scar (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "v-scar");
  }, 20000);
});

describe("judgeVScar", () => {
  const cell = (spike: number, depth: number, measured: number | null) => ({
    beta2: 0.999,
    spike,
    depth,
    measured,
    theory: 3759,
    detector: 3700,
  });
  it("holds when the scar is long and deep", () => {
    expect(judgeVScar({ cells: [cell(100, 0.05, 3700)] }).verdict).toBe("holds");
  });
  it("holds only when the spike is big enough if the 100× scar is long but shallow", () => {
    const j = judgeVScar({ cells: [cell(100, 0.24, 3700), cell(1000, 0.025, 8000)] });
    expect(j.verdict).toBe("holds only when the spike is ≥ 1000× the typical gradient");
    expect(j.deciding).toMatchObject({ value: 0.24, threshold: "≤ 0.1 (with ≥ 100 steps below 90 %)" });
  });
  it("does not hold when the scar is short", () => {
    const j = judgeVScar({ cells: [cell(100, 0.24, 40)] });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 40, threshold: "≥ 100" });
  });
  it("counts a scar that outlasts the run as long", () => {
    const j = judgeVScar({ cells: [cell(100, 0.05, null)] });
    expect(j.verdict).toBe("holds");
    expect(j.deciding?.value).toBe(0.05);
  });
});
