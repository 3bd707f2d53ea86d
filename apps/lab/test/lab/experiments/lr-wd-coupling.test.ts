import { describe, expect, it } from "vitest";
import { experiment, groupedR2, judgeCoupling } from "../../../src/lab/experiments/lr-wd-coupling.ts";
import { smokeCheck } from "./smoke.ts";

describe("lr-wd-coupling (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, and is deterministic", async () => {
    await smokeCheck(experiment, "lr-wd-coupling");
  }, 20000);
});

describe("groupedR2", () => {
  it("is 1 when the groups explain everything and about 0 or less for unrelated groups", () => {
    expect(groupedR2([1, 1, 2, 2, 3, 3], [0, 0, 1, 1, 2, 2])).toBeCloseTo(1, 12);
    expect(groupedR2([1, 2, 1, 2, 1, 2], [0, 0, 1, 1, 2, 2])).toBeLessThan(0);
  });
});

describe("judgeCoupling", () => {
  const s = (p: number, l: number, e: number, t = p) => ({
    byProduct: p,
    byLambda: l,
    byEta: e,
    transient: { byProduct: t, byLambda: 0, byEta: 0 },
  });
  it("holds when AdamW follows η·λ from both starts", () => {
    const c = { adamw: s(0.95, 0.3, 0.2), adamL2: s(0.2, 0.95, 0) };
    expect(judgeCoupling({ zero: c, large: c }).verdict).toBe("holds");
  });
  it("holds only when … if only one start follows it over the whole grid", () => {
    const zero = { adamw: s(0.1, 0.6, 0.1, 0.1), adamL2: s(0.2, 0.95, 0) };
    const large = { adamw: s(0.95, 0.3, 0.2), adamL2: s(0.2, 0.95, 0) };
    expect(judgeCoupling({ zero, large }).verdict).toMatch(/^holds only when/);
  });
  it("holds only when the run is short if only the transient cells follow it", () => {
    const zero = { adamw: s(0.1, 0.6, 0.1, 0.1), adamL2: s(0.2, 0.95, 0) };
    const large = { adamw: s(0.7, 0.6, 0.1, 0.95), adamL2: s(0.2, 0.95, 0) };
    expect(judgeCoupling({ zero, large }).verdict).toMatch(/^holds only when .*too short/);
  });
  it("does not hold when η·λ explains little anywhere", () => {
    const c = { adamw: s(0.1, 0.6, 0.1, 0.2), adamL2: s(0.2, 0.95, 0) };
    expect(judgeCoupling({ zero: c, large: c }).verdict).toBe("does not hold");
  });
});
