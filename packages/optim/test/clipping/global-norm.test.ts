import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clipByGlobalNorm, createOptimizer, globalNorm } from "../../src/index.js";

const tree = () => ({
  w: { data: Float64Array.from([3, -4, 0, 1]), shape: [2, 2] },
  b: Float32Array.from([12, -0.5]),
});

describe("globalNorm", () => {
  it("is the p-norm of the per-leaf p-norms (torch.nn.utils.get_total_norm)", () => {
    const t = tree();
    expect(globalNorm(t)).toBeCloseTo(Math.sqrt(9 + 16 + 1 + 144 + 0.25), 14);
    expect(globalNorm(t, 1)).toBeCloseTo(3 + 4 + 1 + 12 + 0.5, 14);
    expect(globalNorm(t, Infinity)).toBe(12);
    const p3 = (3 ** 3 + 4 ** 3 + 1 + 12 ** 3 + 0.5 ** 3) ** (1 / 3);
    expect(globalNorm(t, 3)).toBeCloseTo(p3, 12);
    expect(globalNorm({})).toBe(0);
    // p so small that 1/p overflows: the p → 0 limit, |x| for one non-zero entry, ∞ for several (not 1^∞ = NaN)
    expect(globalNorm({ a: Float64Array.from([0, 5]) }, 5e-324)).toBe(5);
    expect(globalNorm({ a: Float64Array.from([3]), b: Float64Array.from([-4, 0]) }, 5e-324)).toBe(Infinity);
  });

  it("is the norm clipByGlobalNorm clips by, for every norm type", () => {
    for (const p of [1, 2, 3, Infinity]) {
      const grads = tree();
      const opt = createOptimizer(clipByGlobalNorm(1, { normType: p }), tree(), { kernel: "reference" });
      opt.step(grads);
      expect((opt.state as { totalNorm: number }).totalNorm).toBe(globalNorm(grads, p));
    }
  });

  it("scales with the tree: ‖c·g‖ = |c|·‖g‖ (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.constantFrom(1, 2, 3, Infinity),
        (xs, c, p) => {
          const g = { a: Float64Array.from(xs) };
          const cg = { a: Float64Array.from(xs, (x) => c * x) };
          const want = Math.abs(c) * globalNorm(g, p);
          return Math.abs(globalNorm(cg, p) - want) <= 1e-9 * Math.max(1, want);
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it("propagates NaN; errorIfNonfinite throws instead; bad norm types and options are refused", () => {
    const t = { a: Float64Array.from([1, Number.NaN]) };
    expect(globalNorm(t)).toBeNaN();
    expect(() => globalNorm(t, 2, { errorIfNonfinite: true })).toThrow(
      "globalNorm: the total norm of order 2 is NaN",
    );
    expect(() => globalNorm({ a: Float64Array.from([Infinity]) }, 2, { errorIfNonfinite: true })).toThrow(
      RangeError,
    );
    expect(() => globalNorm(tree(), 0)).toThrow("globalNorm: normType must be a number > 0 or Infinity");
    expect(() => globalNorm(tree(), 2, { errorIfNonFinite: true } as never)).toThrow("unknown option");
  });
});
