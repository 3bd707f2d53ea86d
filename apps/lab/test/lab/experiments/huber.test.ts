import { describe, expect, it } from "vitest";
import { experiment, judgeHuber } from "../../../src/lab/experiments/huber.ts";
import { smokeCheck } from "./smoke.ts";

describe("huber (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "huber");
  }, 20000);
});

describe("judgeHuber", () => {
  const regime = (name: string, ha: number[], ma: number[], hs: number[]) => ({
    regime: name,
    errors: { "Huber + Adam": ha, "MSE + Adam": ma, "Huber + SGD": hs, "MSE + SGD": ma },
  });
  const good = (name: string) =>
    regime(name, [0.1, 0.12, 0.11, 0.1], [1, 1.2, 0.9, 1.1], [0.1, 0.12, 0.11, 0.1]);
  const bad = (name: string) => regime(name, [1, 1.2, 0.9, 1.1], [1, 1.2, 0.9, 1.1], [0.1, 0.12, 0.11, 0.1]);
  it("holds when Huber + Adam wins in every regime", () => {
    expect(judgeHuber([good("isotropic"), good("ill-scaled")]).verdict).toBe("holds");
    // Huber + Adam 0.005 above Huber + SGD in every seed: the worst regime's excess is 0.005 / 0.1075.
    const hs = [0.1, 0.12, 0.11, 0.1];
    const j = judgeHuber([
      good("isotropic"),
      regime(
        "ill-scaled",
        hs.map((e) => e + 0.005),
        [1, 1.2, 0.9, 1.1],
        hs,
      ),
    ]);
    expect(j.verdict).toBe("holds");
    expect(j.deciding?.value).toBeCloseTo(0.005 / 0.1075, 6);
    expect(j.deciding?.threshold).toMatch(/^≤ 0.1 in every regime/);
  });
  it("holds only when … in one regime", () => {
    expect(judgeHuber([bad("isotropic"), good("ill-scaled")]).verdict).toBe(
      "holds only when the features are ill-scaled",
    );
  });
  it("does not hold in none", () => {
    expect(judgeHuber([bad("isotropic"), bad("ill-scaled")]).verdict).toBe("does not hold");
  });
});
