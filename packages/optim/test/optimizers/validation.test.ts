import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { thrown } from "../helpers.ts";

type Make = (o: never) => m.Optimizer;
const bad: [string, Make, Record<string, unknown>, RegExp][] = [
  ["sgd", m.sgd, { lr: -0.1 }, /sgd: lr = -0\.1 is outside the allowed range \[0, inf\)/],
  ["sgd", m.sgd, { lr: Number.NaN }, /sgd: lr = NaN is outside/],
  ["sgd", m.sgd, { momentum: 1.5 }, /sgd: momentum = 1\.5 is outside the allowed range \[0, 1\]/],
  ["sgd", m.sgd, { dampening: -1, momentum: 0.9 }, /sgd: dampening = -1 is outside/],
  [
    "sgd",
    m.sgd,
    { nesterov: true },
    /sgd: nesterov requires momentum > 0 and dampening = 0 \(got momentum 0, dampening 0\)/,
  ],
  [
    "sgd",
    m.sgd,
    { nesterov: true, momentum: 0.9, dampening: 0.1 },
    /nesterov requires momentum > 0 and dampening = 0/,
  ],
  [
    "sgd",
    m.sgd,
    { weightDecay: -1e-4 },
    /sgd: weightDecay = -0\.0001 is outside the allowed range \[0, inf\)/,
  ],
  ["sgd", m.sgd, { lr: "0.1" }, /sgd: lr must be a number in \[0, inf\), got "0\.1"/],
  ["sgdw", m.sgdw, { nesterov: true }, /sgdw: nesterov requires/],
  ["adagrad", m.adagrad, { lrDecay: -1 }, /adagrad: lrDecay = -1 is outside/],
  ["adagrad", m.adagrad, { initialAccumulatorValue: -1 }, /adagrad: initialAccumulatorValue = -1/],
  ["adagrad", m.adagrad, { eps: -1 }, /adagrad: eps = -1/],
  ["rmsprop", m.rmsprop, { alpha: 1.1 }, /rmsprop: alpha = 1\.1 is outside the allowed range \[0, 1\]/],
  ["rmsprop", m.rmsprop, { momentum: -0.1 }, /rmsprop: momentum = -0\.1/],
  ["rmsprop", m.rmsprop, { centered: "yes" }, /rmsprop: centered must be true or false, got "yes"/],
  ["adadelta", m.adadelta, { rho: 2 }, /adadelta: rho = 2 is outside the allowed range \[0, 1\]/],
  ["adam", m.adam, { betas: [1, 0.999] }, /adam: betas\[0\] = 1 is outside the allowed range \[0, 1\)/],
  ["adam", m.adam, { betas: [0.9, -0.1] }, /adam: betas\[1\] = -0\.1 is outside the allowed range \[0, 1\)/],
  ["adam", m.adam, { betas: [0.9] }, /adam: betas must be a pair \[beta1, beta2\]/],
  ["adam", m.adam, { eps: -1e-8 }, /adam: eps = -1e-8 is outside/],
  ["adam", m.adam, { amsgrad: 1 }, /adam: amsgrad must be true or false/],
  ["adamw", m.adamw, { weightDecay: -0.01 }, /adamw: weightDecay = -0\.01 is outside/],
  ["adamax", m.adamax, { betas: [0.9, 1] }, /adamax: betas\[1\] = 1 is outside/],
  ["nadam", m.nadam, { momentumDecay: -1 }, /nadam: momentumDecay = -1 is outside/],
  ["nadam", m.nadam, { decoupledWeightDecay: "true" }, /nadam: decoupledWeightDecay must be true or false/],
  ["radam", m.radam, { betas: [-0.5, 0.9] }, /radam: betas\[0\] = -0\.5 is outside/],
];

describe("invalid hyperparameters throw at construction, naming argument, value and range", () => {
  for (const [name, make, options, re] of bad) {
    it(`${name}(${JSON.stringify(options)})`, () => {
      const error = thrown(() => make(options as never), re);
      if (!(options.lr === "0.1" || /must be true or false|pair/.test(re.source)))
        expect(error).toBeInstanceOf(RangeError);
    });
  }
  it("unknown options are refused (a PyTorch spelling does not pass silently)", () => {
    expect(() => m.adamw({ weight_decay: 0.1 } as never)).toThrow(
      /adamw: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\) \(allowed: lr, weightDecay/,
    );
    expect(() => m.adamw({ weigth_decay: 0.1 } as never)).toThrow(/did you mean 'weightDecay'\?/);
    expect(() => m.adam({ amsGrad: true } as never)).toThrow(/did you mean 'amsgrad'\?/);
    // names as near as each other are all suggested
    expect(() => m.prodigy({ beta: 0.9 } as never)).toThrow(/did you mean 'betas' or 'beta3'\?/);
    expect(() => m.sgd(5 as never)).toThrow(/sgd: options must be an object, got 5/);
    expect(() => m.sgd([] as never)).toThrow(/sgd: options must be an object, got \[\]/);
    expect(() => m.sgd(null as never)).toThrow(/sgd: options must be an object, got null/);
  });
  it("null is not the default: it is refused, naming the option", () => {
    expect(() => m.adamw({ lr: null } as never)).toThrow(/adamw: lr must not be null/);
    expect(() => m.clipByGlobalNorm(1, { normType: null } as never)).toThrow(
      /clipByGlobalNorm: normType must not be null/,
    );
    expect(() => m.clipByGlobalNorm(1, { error_if_nonfinite: true } as never)).toThrow(
      /clipByGlobalNorm: unknown option 'error_if_nonfinite' \(did you mean 'errorIfNonfinite'\?\)/,
    );
    // where the doc gives null a meaning, it keeps it
    expect(() => m.muon({ adjustLrFn: null })).not.toThrow();
    expect(() => m.adafactor({ eps: [null, 1e-3] })).not.toThrow();
    expect(() => m.scaleByFactoredRms({ eps: null })).not.toThrow();
  });
  it("defaults are PyTorch's", () => {
    expect(() => m.adamw()).not.toThrow();
    const params = { w: Float64Array.from([1]) };
    const opt = m.createOptimizer(m.adamw(), params);
    opt.step({ w: Float64Array.from([0]) });
    // zero gradient: only the default decay acts, p ← p·(1 − 1e-3·0.01)
    expect(params.w[0]).toBeCloseTo(1 - 1e-5, 15);
  });
});

describe("scheduled hyperparameters are checked when read", () => {
  it("a schedule leaving the range throws a RangeError naming it and the count", () => {
    const params = { w: Float64Array.from([1, 2]) };
    const opt = m.createOptimizer(m.sgd({ lr: (c) => 0.1 - 0.06 * c }), params);
    opt.step({ w: Float64Array.from([1, 1]) });
    opt.step({ w: Float64Array.from([1, 1]) });
    expect(() => opt.step({ w: Float64Array.from([1, 1]) })).toThrow(
      /sgd: the schedule for lr gave -0\.0\d+ at count 2, outside the allowed range \[0, inf\)/,
    );
    expect(() =>
      m.createOptimizer(m.adam({ betas: [() => 1, 0.999] }), params).step({ w: Float64Array.from([1, 1]) }),
    ).toThrow(/adam: the schedule for betas\[0\] gave 1 at count 0/);
  });
});
