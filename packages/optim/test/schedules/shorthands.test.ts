import {
  cosineAnnealingLr,
  cyclicLr,
  join,
  linearLr,
  multiStepLr,
  oneCycleLr,
  reduceLrOnPlateau,
  sequentialLr,
  stepLr,
  warmupCosineDecay,
  warmupStableDecay,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

describe("warmupCosineDecay (Optax's warmup_cosine_decay_schedule)", () => {
  const s = warmupCosineDecay({ init: 0.01, peak: 1, warmupSteps: 10, decaySteps: 110, end: 0.1 });
  it("warms up linearly, peaks, decays along a cosine to end, then holds", () => {
    expect(s(0)).toBe(0.01);
    expect(s(5)).toBeCloseTo(0.505, 15);
    expect(s(10)).toBe(1);
    expect(s(60)).toBeCloseTo(0.1 + 0.9 * 0.5, 15);
    expect(s(110)).toBeCloseTo(0.1, 15);
    expect(s(500)).toBeCloseTo(0.1, 15);
    expect(s.base).toBe(1);
  });
  it("checks its options", () => {
    expect(() => warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 10 })).toThrow(
      /decaySteps \(10\) must exceed warmupSteps \(10\)/,
    );
    expect(() => warmupCosineDecay({ peak: 1, warmupSteps: 1.5, decaySteps: 10 })).toThrow(
      /warmupSteps must be an integer/,
    );
  });
});

describe("warmupStableDecay (WSD)", () => {
  it.each([
    ["cosine", 0.5],
    ["linear", 0.5],
    ["1-sqrt", 1 - Math.SQRT1_2],
  ] as const)("%s decay", (shape, mid) => {
    const s = warmupStableDecay({
      peak: 2,
      warmupSteps: 4,
      stableSteps: 6,
      decaySteps: 10,
      end: 0,
      decayShape: shape,
    });
    expect(s(0)).toBe(0);
    expect(s(2)).toBe(1);
    expect(s(4)).toBe(2);
    expect(s(9)).toBe(2);
    expect(s(15)).toBeCloseTo(2 * mid, 14);
    expect(s(20)).toBeCloseTo(0, 14);
    expect(s(99)).toBeCloseTo(0, 14);
  });
  it("rejects an unknown shape", () => {
    expect(() =>
      warmupStableDecay({
        peak: 1,
        warmupSteps: 1,
        stableSteps: 1,
        decaySteps: 1,
        decayShape: "exp" as never,
      }),
    ).toThrow(/decayShape must be "cosine", "linear" or "1-sqrt", got "exp"/);
  });
});

describe("join / sequentialLr", () => {
  it("each later schedule restarts its count at its boundary", () => {
    const warm = linearLr({ lr: 1, startFactor: 0.1, totalIters: 10 });
    const cos = cosineAnnealingLr({ lr: 1, tMax: 90 });
    const a = join([warm, cos], [10]);
    const b = sequentialLr([warm, cos], [10]);
    for (const t of [0, 5, 9, 10, 11, 50, 100]) {
      expect(a(t)).toBe(t < 10 ? warm(t) : cos(t - 10));
      expect(b(t)).toBe(a(t));
    }
    expect(() => sequentialLr([warm, cos], [])).toThrow(/expected 1 milestones for 2 schedules, got 0/);
  });
});

describe("option validation names the option, the value and the range", () => {
  it.each([
    [() => stepLr({ lr: 0.1, stepSize: 0 }), /stepLr: stepSize = 0 is outside the allowed range \[1, inf\)/],
    [() => stepLr({ lr: 0.1 } as never), /stepLr: option 'stepSize' is required/],
    [
      () => linearLr({ lr: 0.1, startFactor: 0 }),
      /linearLr: startFactor = 0 is outside the allowed range \(0, 1\]/,
    ],
    [() => multiStepLr({ lr: 0.1, milestones: [3, -1] }), /milestones\[1\] = -1 is outside/],
    [() => cosineAnnealingLr({ lr: -1, tMax: 10 }), /cosineAnnealingLr: lr = -1/],
    [
      () => cyclicLr({ baseLr: 0.1, maxLr: 1, mode: "sawtooth" as never }),
      /mode must be "triangular", "triangular2" or "exp_range"/,
    ],
    [() => oneCycleLr({ maxLr: 0.1 }), /give totalSteps, or both epochs and stepsPerEpoch/],
    [() => reduceLrOnPlateau({ lr: 0.1, mode: "median" as never }), /mode must be "min" or "max"/],
    [() => stepLr({ lr: 0.1, stepSize: 3, step_size: 3 } as never), /stepLr: unknown option 'step_size'/],
  ])("%#", (make, re) => {
    expect(make).toThrow(re);
  });
  it("oneCycleLr refuses counts past totalSteps, as PyTorch does", () => {
    const oc = oneCycleLr({ maxLr: 0.1, totalSteps: 10 });
    expect(() => oc.lr(11)).toThrow(/count 11 is past totalSteps 10/);
    expect(oneCycleLr({ maxLr: 0.1, epochs: 2, stepsPerEpoch: 5 }).lr(3)).toBe(oc.lr(3));
  });
});

describe("reduceLrOnPlateau state", () => {
  it("saves and restores exactly (Infinity included); a bad save changes nothing", () => {
    const a = reduceLrOnPlateau({ lr: 1, patience: 1, factor: 0.5 });
    expect(JSON.parse(JSON.stringify(a.stateDict()))).toEqual({
      lr: 1,
      best: { $num: "Infinity" },
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
    });
    for (const m of [1, 1, 1, 1]) a.step(m);
    expect(a.lr(0)).toBe(0.5);
    const b = reduceLrOnPlateau({ lr: 1, patience: 1, factor: 0.5 });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.state).toEqual(a.state);
    expect(() => b.loadStateDict({ ...(a.stateDict() as object), lr: "x" })).toThrow(
      /reduceLrOnPlateau\.lr: expected a number/,
    );
    expect(b.state).toEqual(a.state);
    expect(() => a.step(Number.NaN)).toThrow(/the metric must be a number, got NaN/);
  });
});
