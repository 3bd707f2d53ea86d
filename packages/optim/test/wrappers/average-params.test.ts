import { averagedParams, createOptimizer, ema, polyak, sgd } from "momenta-optim";
import { describe, expect, it } from "vitest";

describe("ema / polyak averaging of params", () => {
  it("ema: a ← d·a + (1−d)·p after each update, debiased by 1 − dᵗ", () => {
    const tx = ema(sgd({ lr: 1 }), { decay: 0.5 });
    const params = { w: Float64Array.from([0]) };
    const opt = createOptimizer(tx, params);
    opt.step({ w: Float64Array.from([-1]) }); // p = 1
    opt.step({ w: Float64Array.from([-2]) }); // p = 3
    // raw: a1 = 0.5, a2 = 0.25 + 1.5 = 1.75; debiased: 1.75 / (1 − 0.25)
    expect(opt.state.average[0]![0]).toBeCloseTo(1.75, 15);
    const avg = averagedParams(tx, opt.state, params) as { w: Float64Array };
    expect(avg.w[0]).toBeCloseTo(1.75 / 0.75, 14);
    expect(params.w[0]).toBe(3); // the params themselves train as sgd says
    const raw = averagedParams(ema(sgd({ lr: 1 }), { decay: 0.5, debias: false }), opt.state, params) as {
      w: Float64Array;
    };
    expect(raw.w[0]).toBeCloseTo(1.75, 15);
  });
  it("polyak: the plain mean of the params after every update", () => {
    const tx = polyak(sgd({ lr: 1 }));
    const params = { w: Float32Array.from([0, 10]) };
    const opt = createOptimizer(tx, params);
    const history: number[] = [];
    for (const g of [-1, -2, 4, -0.5]) {
      opt.step({ w: Float32Array.from([g, 0]) });
      history.push(params.w[0]!);
    }
    const avg = averagedParams(tx, opt.state, params) as { w: Float32Array };
    expect(avg.w[0]).toBeCloseTo(history.reduce((a, b) => a + b) / history.length, 6);
    expect(avg.w[1]).toBeCloseTo(10, 6);
  });

  it("polyak({ start, every }): the mean of the params after updates start + every, start + 2·every… (SWA)", () => {
    const tx = polyak(sgd({ lr: 1 }), { start: 2, every: 3 });
    const params = { w: Float64Array.from([0]) };
    const opt = createOptimizer(tx, params);
    expect(opt.kernel).toBe("reference"); // the fused kernels average after every update
    const after: number[] = [];
    for (let n = 1; n <= 11; n++) {
      opt.step({ w: Float64Array.from([-1]) }); // p = n
      after.push(params.w[0]!);
    }
    // averaged after updates 5, 8, 11
    expect(opt.state.count).toBe(3);
    expect(opt.state.steps).toBe(11);
    expect((averagedParams(tx, opt.state, params) as { w: Float64Array }).w[0]).toBeCloseTo(
      (5 + 8 + 11) / 3,
      14,
    );
    // the state round-trips, steps included
    const again = createOptimizer(polyak(sgd({ lr: 1 }), { start: 2, every: 3 }), {
      w: Float64Array.from([11]),
    });
    again.loadStateDict(JSON.parse(JSON.stringify(opt.stateDict())));
    expect(again.state.steps).toBe(11);
    // without start or every: the state and the fused kernels as before
    expect("steps" in createOptimizer(polyak(sgd({ lr: 1 })), { w: Float32Array.from([0]) }).state).toBe(
      false,
    );
    expect(() => polyak(sgd(), { start: 1.5 })).toThrow("polyak: start must be an integer");
    expect(() => polyak(sgd(), { every: 0 })).toThrow(
      "polyak: every = 0 is outside the allowed range [1, inf)",
    );
  });
});
