import { describe, expect, it } from "vitest";
import { experiment, judgeHuber } from "../../../src/lab/experiments/huber.ts";

const smoke = () => experiment.run({ mode: "smoke", seed: 0, progress() {} });

describe("huber (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    const a = await smoke();
    const b = await smoke();
    expect(experiment.id).toBe("huber");
    expect(a.setup).toContain("smoke");
    expect(a.keyNumber.length).toBeGreaterThan(0);
    expect(a.judgement.reason.length).toBeGreaterThan(0);
    expect(a.seeds.length).toBeGreaterThan(0);
    const json = JSON.stringify(a.metrics);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(json)).toEqual(a.metrics);
    expect(a.figures.length).toBeGreaterThanOrEqual(1);
    for (const f of a.figures) {
      expect(f.caption.length).toBeGreaterThan(0);
      expect(JSON.stringify(f.spec)).toMatch(/"values":\[\{/);
    }
    expect(json).toBe(JSON.stringify(b.metrics));
    expect(a.judgement).toEqual(b.judgement);
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
