import { describe, expect, it } from "vitest";
import { experiment, judgeRavine } from "../../../src/lab/experiments/ravine.ts";
import { smokeCheck } from "./smoke.ts";

describe("ravine (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smokeCheck(experiment, "ravine", { mentions: ["κ ∈ {100}"], seedless: true });
    expect(a.metrics.cells).toHaveLength(3 * 4);
  }, 20000);
});

describe("judgeRavine", () => {
  // steps[optimizer][angle] at κ = 100, 1000, 10000.
  const make = (steps: Record<string, Record<number, (number | null)[]>>) => ({
    maxSteps: 50000,
    cells: Object.entries(steps).flatMap(([optimizer, byAngle]) =>
      Object.entries(byAngle).flatMap(([angle, ys]) =>
        [100, 1000, 10000].map((condition, i) => ({
          landscape: "r",
          condition,
          angle: Number(angle),
          optimizer,
          lr: 1,
          steps: ys[i]!,
          reversals: 0,
          pathRatio: 1,
        })),
      ),
    ),
  });
  const gd = { 0: [300, 3000, 30000], 45: [300, 3000, 30000] };
  const momentum = { 0: [60, 200, 600], 45: [60, 200, 600] };
  it("holds when Adam is fast and κ-independent at every angle", () => {
    const m = make({ GD: gd, "Momentum 0.9": momentum, Adam: { 0: [50, 50, 52], 45: [60, 61, 62] } });
    expect(judgeRavine(m).verdict).toBe("holds");
  });
  it("holds only when aligned if the rotated ravine slows Adam down like momentum", () => {
    const m = make({ GD: gd, "Momentum 0.9": momentum, Adam: { 0: [50, 50, 52], 45: [80, 300, 900] } });
    const j = judgeRavine(m);
    expect(j.verdict).toBe("holds only when the ravine is aligned with the coordinate axes");
    // Rotated Adam's steps 80 → 900 over two decades of κ: slope log10(900/80)/2 ≈ 0.53.
    expect(j.deciding).toMatchObject({
      label: "Adam's steps-vs-κ log-log slope, ravine rotated 45°",
      threshold: "≤ 0.25 (with ≥ 2× GD's speed at every κ)",
    });
    expect(j.deciding?.value).toBeCloseTo(Math.log10(900 / 80) / 2);
  });
  it("does not hold when Adam is no faster than GD even aligned", () => {
    const m = make({
      GD: gd,
      "Momentum 0.9": momentum,
      Adam: { 0: [250, null, 25000], 45: [300, 3000, 30000] },
    });
    const j = judgeRavine(m);
    expect(j.verdict).toBe("does not hold");
    // The aligned ravine decides: steps 250 → 25000 over two decades of κ, slope 1.
    expect(j.deciding?.label).toBe("Adam's steps-vs-κ log-log slope, aligned ravine");
    expect(j.deciding?.value).toBeCloseTo(1);
  });
});
