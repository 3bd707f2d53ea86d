/** multiplicativeLr, chainedScheduler and swaLr beyond the golden values: checks, order independence, SWA. */
import { describe, expect, it } from "vitest";
import {
  adamw,
  averagedParams,
  chainedScheduler,
  constantLr,
  cosineAnnealingLr,
  createOptimizer,
  exponentialLr,
  multiplicativeLr,
  polyak,
  sequentialLr,
  swaLr,
} from "../../src/index.js";

describe("multiplicativeLr", () => {
  it("gives the same value whatever order the counts are asked in", () => {
    const forward = multiplicativeLr({ lr: 0.1, lrLambda: (t) => 1 - 1 / (t + 3) });
    const values = Array.from({ length: 50 }, (_, t) => forward(t));
    const shuffled = multiplicativeLr({ lr: 0.1, lrLambda: (t) => 1 - 1 / (t + 3) });
    for (const t of [49, 3, 17, 0, 48, 49, 10]) expect(shuffled(t)).toBe(values[t]);
    expect(forward.base).toBe(0.1);
  });

  it("a factor that throws or is not finite leaves what it carries as it was", () => {
    let fail = false;
    const s = multiplicativeLr({
      lr: 1,
      lrLambda: (t) => {
        if (fail && t === 6) throw new Error("boom");
        return 0.5;
      },
    });
    expect(s(4)).toBe(1 / 16);
    fail = true;
    expect(() => s(8)).toThrow("boom");
    fail = false;
    expect(s(5)).toBe(1 / 32);
    expect(() => multiplicativeLr({ lr: 1, lrLambda: () => Number.NaN })(1)).toThrow(/lrLambda/);
    expect(() => multiplicativeLr({ lr: 1 } as never)).toThrow(
      "multiplicativeLr: option 'lrLambda' is required",
    );
  });
});

describe("chainedScheduler", () => {
  it("multiplies the multipliers of schedules that share a base", () => {
    const s = chainedScheduler([
      constantLr({ lr: 0.1, factor: 0.5, totalIters: 3 }),
      exponentialLr({ lr: 0.1, gamma: 0.9 }),
    ]);
    expect(s(0)).toBeCloseTo(0.1 * 0.5, 15);
    expect(s(4)).toBeCloseTo(0.1 * 0.9 ** 4, 15);
    expect(s.base).toBe(0.1);
  });

  it("refuses schedules with other bases, or without one", () => {
    expect(() =>
      chainedScheduler([exponentialLr({ lr: 0.1, gamma: 0.9 }), exponentialLr({ lr: 0.2, gamma: 0.9 })]),
    ).toThrow("chainedScheduler: the schedules must share one base lr; schedules[1]'s is 0.2, not 0.1");
    expect(() => chainedScheduler([(t: number) => t])).toThrow("schedules[0] has no base lr");
    expect(() => chainedScheduler([])).toThrow(TypeError);
  });
});

describe("swaLr and SWA end to end", () => {
  it("anneals from lr to swaLr and holds it; checks its options", () => {
    const s = swaLr({ lr: 0.1, swaLr: 0.01, annealEpochs: 4, annealStrategy: "linear" });
    expect([0, 1, 2, 4, 100].map((t) => s(t))).toEqual([
      0.1,
      0.01 * 0.25 + 0.1 * 0.75,
      0.01 * 0.5 + 0.1 * 0.5,
      0.01,
      0.01,
    ]);
    expect(swaLr({ lr: 0.1, swaLr: 0.01, annealEpochs: 0 })(0)).toBe(0.01);
    expect(() => swaLr({ lr: 0.1, swaLr: 0.01, annealStrategy: "exp" as never })).toThrow(
      'swaLr: annealStrategy must be "cos" or "linear", got "exp"',
    );
    expect(() => swaLr({ lr: 0.1, swaLr: -1 })).toThrow(
      "swaLr: swaLr = -1 is outside the allowed range [0, inf)",
    );
  });

  it("the README's recipe: cosine until swaStart, then swaLr while polyak averages from swaStart", () => {
    const swaStart = 30;
    const lr = sequentialLr(
      [cosineAnnealingLr({ lr: 0.05, tMax: swaStart }), swaLr({ lr: 0.05, swaLr: 0.01, annealEpochs: 5 })],
      [swaStart],
    );
    const tx = polyak(adamw({ lr }), { start: swaStart });
    const params = { w: Float64Array.from([2, -1]) };
    const opt = createOptimizer(tx, params);
    const seen: number[][] = [];
    for (let t = 0; t < 40; t++) {
      opt.step({ w: Float64Array.from(params.w, (x) => 2 * x) }); // ∇ of ‖w‖²
      if (t >= swaStart) seen.push([...params.w]);
    }
    const mean = seen[0]!.map((_, j) => seen.reduce((a, p) => a + p[j]!, 0) / seen.length);
    const avg = averagedParams(tx, opt.state, params) as { w: Float64Array };
    expect(avg.w[0]).toBeCloseTo(mean[0]!, 12);
    expect(avg.w[1]).toBeCloseTo(mean[1]!, 12);
    expect(opt.state.count).toBe(10);
  });
});
