import { LANDSCAPES, landscapeById } from "@momenta/landscapes";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const IDS = ["ravine", "rosenbrock", "saddle", "plateau", "sharp-wide", "multi-basin", "lj-trimer"];

describe("LANDSCAPES", () => {
  it("covers every landscape once, in order", () => {
    expect(LANDSCAPES.map((e) => e.id)).toEqual(IDS);
  });

  it.each(LANDSCAPES)(
    "$id: sane parameter specs, and make(defaults) builds the landscape with its id",
    (e) => {
      const keys = e.params.map((p) => p.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const p of e.params) {
        expect(p.min).toBeLessThan(p.max);
        expect(p.default).toBeGreaterThanOrEqual(p.min);
        expect(p.default).toBeLessThanOrEqual(p.max);
        if (p.log) expect(p.min).toBeGreaterThan(0);
        if (p.step !== undefined) expect(p.step).toBeGreaterThan(0);
      }
      const defaults = Object.fromEntries(e.params.map((p) => [p.key, p.default]));
      expect(e.make(defaults).id).toBe(e.id);
      expect(landscapeById(e.id).name).toBe(e.make(defaults).name);
    },
  );
});

describe("landscapeById", () => {
  it("applies params given as numbers or as numeric strings from a URL", () => {
    expect(landscapeById("ravine", { condition: 10 }).hessian(0, 0)[0]).toBe(0.1);
    expect(landscapeById("ravine", { condition: "1e1", angle: " 0 " }).hessian(0, 0)[0]).toBe(0.1);
    expect(landscapeById("ravine", { angle: "-0.5" }).name).toMatch(/θ = -0\.50/);
    expect(landscapeById("rosenbrock", { a: 0.5 }).minima[0]!.point).toEqual([0.5, 0.25]);
  });

  it("rejects an unknown id, naming the known ones", () => {
    expect(() => landscapeById("himmelblau")).toThrow(
      /unknown landscape "himmelblau"; known: ravine, rosenbrock/,
    );
    expect(() => landscapeById("toString")).toThrow(/unknown landscape/);
    fc.assert(
      fc.property(
        fc.string().filter((s) => !IDS.includes(s)),
        (id) => {
          expect(() => landscapeById(id)).toThrow(/unknown landscape/);
        },
      ),
    );
  });

  it("rejects unknown keys, naming the allowed ones", () => {
    expect(() => landscapeById("ravine", { kappa: 10 })).toThrow(
      /unknown parameter "kappa" \(allowed: condition, angle\)/,
    );
    expect(() => landscapeById("lj-trimer", { sigma: 1 })).toThrow(
      /unknown parameter "sigma" \(allowed: none\)/,
    );
    expect(() => landscapeById("saddle", JSON.parse('{"__proto__": {"quartic": 1}}'))).toThrow(
      /unknown parameter "__proto__"/,
    );
  });

  it("rejects values out of range, non-finite or not numbers, naming the range", () => {
    expect(() => landscapeById("ravine", { condition: 0.5 })).toThrow(
      /condition must be a number in \[1, 10000\]/,
    );
    expect(() => landscapeById("ravine", { condition: 1e5 })).toThrow(/condition/);
    expect(() => landscapeById("plateau", { slope: Number.NaN })).toThrow(/slope/);
    expect(() => landscapeById("plateau", { slope: Number.POSITIVE_INFINITY })).toThrow(/slope/);
    for (const bad of [
      "",
      "abc",
      "1e",
      "0x10",
      "1,5",
      "Infinity",
      "2*3",
      "1;alert(1)",
      null,
      true,
      [1],
      {},
    ]) {
      expect(() => landscapeById("saddle", { quartic: bad }), JSON.stringify(bad)).toThrow(/quartic must be/);
    }
    expect(() => landscapeById("ravine", [] as unknown as Record<string, unknown>)).toThrow(/object/);
  });

  it("accepts every value in range (property)", () => {
    for (const e of LANDSCAPES) {
      if (e.params.length === 0) continue;
      fc.assert(
        fc.property(
          fc.tuple(...e.params.map((p) => fc.double({ min: p.min, max: p.max, noNaN: true }))),
          (vals) => {
            const params = Object.fromEntries(e.params.map((p, i) => [p.key, vals[i]!]));
            const l = landscapeById(e.id, params);
            expect(Number.isFinite(l.value(l.start[0], l.start[1]))).toBe(true);
          },
        ),
        { numRuns: 30 },
      );
    }
  });
});

describe("the factories check their own options", () => {
  it("names the option and its range", async () => {
    const { ravine, saddle, plateau, sharpWide, rosenbrock } = await import("@momenta/landscapes");
    expect(() => ravine({ condition: 0 })).toThrow(/ravine: condition must be/);
    expect(() => saddle({ quartic: 0 })).toThrow(/saddle: quartic must be/);
    expect(() => plateau({ slope: -1 })).toThrow(/plateau: slope must be/);
    expect(() => sharpWide({ sharpWidth: Number.NaN })).toThrow(/sharpWide: sharpWidth must be/);
    expect(() => rosenbrock({ b: 0 })).toThrow(/rosenbrock: b must be/);
  });
});
