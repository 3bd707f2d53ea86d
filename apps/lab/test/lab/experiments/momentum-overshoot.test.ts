import { describe, expect, it } from "vitest";
import { experiment, judgeMomentumOvershoot } from "../../../src/lab/experiments/momentum-overshoot.ts";
import { smokeCheck } from "./smoke.ts";

describe("momentum-overshoot (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "momentum-overshoot", { seedless: true });
  }, 20000);
});

describe("judgeMomentumOvershoot", () => {
  const cell = (optimizer: "adam" | "sgd-momentum", lr: number, excursion: number, finalValley = 0) => ({
    optimizer,
    lr,
    slopeSteps: 100,
    excursion,
    finalValley,
    settleSteps: 50,
    freshExcursion: 0,
  });
  it("holds only when the lr is large if only some Adam cells escape", () => {
    const j = judgeMomentumOvershoot({
      cells: [cell("adam", 0.01, 0.1), cell("adam", 0.3, 2.4, -1), cell("sgd-momentum", 0.01, 3, -1)],
    });
    expect(j.verdict).toMatch(/^holds only when/);
    expect(j.verdict).toContain("0.3");
    expect(j.deciding).toMatchObject({ value: 0.5, threshold: "> 0 (holds only when), = 1 (holds)" });
  });
  it("holds when every Adam cell escapes", () => {
    expect(judgeMomentumOvershoot({ cells: [cell("adam", 0.3, 2.4, -1)] }).verdict).toBe("holds");
  });
  it("does not hold when Adam always returns", () => {
    expect(judgeMomentumOvershoot({ cells: [cell("adam", 0.01, 0.1), cell("adam", 0.1, 0.5)] }).verdict).toBe(
      "does not hold",
    );
  });
  it("does not hold when a fresh optimizer moves", () => {
    const cells = [{ ...cell("adam", 0.3, 2.4, -1), freshExcursion: 0.5 }];
    const j = judgeMomentumOvershoot({ cells });
    expect(j.verdict).toBe("does not hold");
    expect(j.deciding).toMatchObject({ value: 0.5, threshold: "< 1e-12" });
  });
});
