/** What every optimizer of the "beyond the classics" set shares: bit-identical resume, and option checks. */
import {
  type AnyTransformation,
  adafactor,
  createOptimizer,
  lamb,
  lion,
  muon,
  scheduleFreeAdamw,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { randomTree, snapshot, thrown, trainWithResume } from "../helpers.ts";

const cosine = (count: number) => 0.02 * (0.5 + 0.5 * Math.cos((Math.PI * count) / 40));

/** Each optimizer, with options that create every kind of state it can have. */
const OPTIMIZERS: [string, () => AnyTransformation][] = [
  [
    "lion, scheduled lr and β1",
    () => lion({ lr: cosine, betas: [(c) => 0.9 - c / 1000, 0.99], weightDecay: 0.1 }),
  ],
  ["lamb", () => lamb({ lr: 0.01, weightDecay: 0.01, mask: (p) => !p.endsWith("bias") })],
  ["lamb without bias correction", () => lamb({ lr: 0.01, biasCorrection: false, maximize: true })],
  [
    "adafactor, scheduled lr and decay",
    () => adafactor({ lr: cosine, weightDecay: (c) => 0.1 / (1 + c), eps: [1e-30, 1e-3] }),
  ],
  ["adafactor defaults", () => adafactor()],
  [
    "muon (AdamW with AMSGrad for the rest)",
    () =>
      muon({
        lr: 0.02,
        momentum: (c) => Math.min(0.95, 0.8 + c / 100),
        adjustLrFn: "match_rms_adamw",
        adamw: { amsgrad: true },
      }),
  ],
  ["muon without Nesterov", () => muon({ lr: cosine, nesterov: false, nsSteps: 3 })],
  ["scheduleFreeAdamw", () => scheduleFreeAdamw({ lr: 0.05, warmupSteps: 10, weightDecay: 0.05, r: 1 })],
  [
    "scheduleFreeAdamw decay at z",
    () => scheduleFreeAdamw({ lr: cosine, decayAtZ: true, weightDecay: 0.1, maximize: true }),
  ],
];

describe("resume is bit-identical", () => {
  for (const [name, make] of OPTIMIZERS) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype})`, () => {
        const straight = trainWithResume(make, dtype, 40);
        expect(straight).not.toEqual(snapshot(randomTree(dtype, 11))); // it trains
        expect(trainWithResume(make, dtype, 40, 17)).toEqual(straight);
        expect(trainWithResume(make, dtype, 40, 1)).toEqual(straight);
      });
    }
  }
});

type Make = (o: never) => AnyTransformation;
const bad: [string, Make, Record<string, unknown>, RegExp][] = [
  ["lion", lion, { lr: -1 }, /lion: lr = -1 is outside the allowed range \[0, inf\)/],
  ["lion", lion, { weightDecay: -0.1 }, /lion: weightDecay = -0\.1 is outside the allowed range \[0, inf\)/],
  ["lion", lion, { betas: [1, 0.99] }, /lion: betas\[0\] = 1 is outside the allowed range \[0, 1\)/],
  ["lion", lion, { betas: [0.9, -0.5] }, /lion: betas\[1\] = -0\.5 is outside the allowed range \[0, 1\)/],
  ["lion", lion, { betas: [0.9] }, /lion: betas must be a pair/],
  ["lamb", lamb, { eps: -1 }, /lamb: eps = -1 is outside the allowed range \[0, inf\)/],
  ["lamb", lamb, { betas: [0.9, 1] }, /lamb: betas\[1\] = 1 is outside the allowed range \[0, 1\)/],
  ["lamb", lamb, { biasCorrection: "yes" }, /lamb: biasCorrection must be true or false, got "yes"/],
  ["adafactor", adafactor, { lr: -0.1 }, /adafactor: lr = -0\.1 is outside the allowed range \[0, inf\)/],
  [
    "adafactor",
    adafactor,
    { beta2Decay: 0.5 },
    /adafactor: beta2Decay = 0\.5 is outside the allowed range \(-inf, 0\]/,
  ],
  ["adafactor", adafactor, { d: 0.5 }, /adafactor: d = 0\.5 is outside the allowed range \[1, inf\)/],
  [
    "adafactor",
    adafactor,
    { eps: [-1, 1e-3] },
    /adafactor: eps\[0\] = -1 is outside the allowed range \[0, inf\)/,
  ],
  [
    "adafactor",
    adafactor,
    { eps: [null, -1] },
    /adafactor: eps\[1\] = -1 is outside the allowed range \[0, inf\)/,
  ],
  ["adafactor", adafactor, { eps: [1e-30] }, /adafactor: eps must be a pair \[eps1 or null, eps2\]/],
  ["adafactor", adafactor, { weightDecay: -1 }, /adafactor: weightDecay = -1 is outside/],
  ["muon", muon, { momentum: 1.5 }, /muon: momentum = 1\.5 is outside the allowed range \[0, 1\]/],
  ["muon", muon, { nsSteps: 100 }, /muon: nsSteps = 100 is outside the allowed range \[0, 100\)/],
  ["muon", muon, { nsSteps: 2.5 }, /muon: nsSteps must be an integer, got 2\.5/],
  ["muon", muon, { eps: 0 }, /muon: eps = 0 is outside the allowed range \(0, inf\)/],
  ["muon", muon, { nsCoefficients: [3, 4] }, /muon: nsCoefficients must be three numbers \[a, b, c\]/],
  [
    "muon",
    muon,
    { nsCoefficients: [3, Number.NaN, 2] },
    /muon: nsCoefficients\[1\] = NaN is outside the allowed range/,
  ],
  [
    "muon",
    muon,
    { adjustLrFn: "rms" },
    /muon: adjustLrFn must be "original", "match_rms_adamw" or null, got "rms"/,
  ],
  ["muon", muon, { nesterov: 1 }, /muon: nesterov must be true or false/],
  ["muon", muon, { weightDecay: -0.1 }, /muon: weightDecay = -0\.1 is outside/],
  [
    "muon",
    muon,
    { adamw: { betas: [1, 0.999] } },
    /adamw: betas\[0\] = 1 is outside the allowed range \[0, 1\)/,
  ],
  ["muon", muon, { adamw: { weight_decay: 0 } }, /muon: adamw: unknown option 'weight_decay'/],
  ["muon", muon, { adamw: 3 }, /muon: adamw must be an options object/],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { warmupSteps: -1 },
    /scheduleFreeAdamw: warmupSteps = -1 is outside the allowed range \[0, inf\)/,
  ],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { warmupSteps: 1.5 },
    /scheduleFreeAdamw: warmupSteps must be an integer/,
  ],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { r: -1 },
    /scheduleFreeAdamw: r = -1 is outside the allowed range \[0, inf\)/,
  ],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { weightLrPower: -2 },
    /scheduleFreeAdamw: weightLrPower = -2 is outside the allowed range \[0, inf\)/,
  ],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { betas: [1, 0.999] },
    /scheduleFreeAdamw: betas\[0\] = 1 is outside/,
  ],
  ["scheduleFreeAdamw", scheduleFreeAdamw, { eps: -1 }, /scheduleFreeAdamw: eps = -1 is outside/],
  [
    "scheduleFreeAdamw",
    scheduleFreeAdamw,
    { decayAtZ: "no" },
    /scheduleFreeAdamw: decayAtZ must be true or false/,
  ],
];

describe("invalid options throw at construction, naming option, value and range", () => {
  for (const [name, make, options, re] of bad) {
    it(`${name}(${JSON.stringify(options)})`, () => {
      const error = thrown(() => make(options as never), re);
      if (/outside the allowed range|must be an integer|pair|three numbers|adjustLrFn/.test(re.source)) {
        expect(error).toBeInstanceOf(RangeError);
      }
    });
  }
  it("unknown options are refused, PyTorch spellings and PyTorch-only flags included", () => {
    expect(() => lion({ weight_decay: 0.1 } as never)).toThrow(
      /lion: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\) \(allowed: lr, /,
    );
    expect(() => adafactor({ foreach: true } as never)).toThrow(/adafactor: unknown option 'foreach'/);
    expect(() => muon({ use_addmm: true } as never)).toThrow(/muon: unknown option 'use_addmm'/);
    expect(() => scheduleFreeAdamw({ warmup_steps: 5 } as never)).toThrow(
      /scheduleFreeAdamw: unknown option 'warmup_steps'/,
    );
    expect(() => lamb({ trustClip: true } as never)).toThrow(/lamb: unknown option 'trustClip'/);
  });
  it("schedules leaving their range throw when read, naming the count", () => {
    const params = { w: { data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2] } };
    const g = { w: { data: Float64Array.from([1, 1, 1, 1]), shape: [2, 2] } };
    expect(() => createOptimizer(muon({ momentum: () => 2 }), params).step(g)).toThrow(
      /muon: the schedule for momentum gave 2 at count 0, outside the allowed range \[0, 1\]/,
    );
    expect(() => createOptimizer(adafactor({ lr: (c) => 0.1 - c }), params).step(g)).not.toThrow();
    const a = createOptimizer(adafactor({ lr: (c) => 0.1 - c }), params);
    a.step(g);
    expect(() => a.step(g)).toThrow(/adafactor: the schedule for lr gave -0\.9 at count 1/);
    expect(() => createOptimizer(lion({ betas: [() => -1, 0.99] }), params).step(g)).toThrow(
      /lion: the schedule for betas\[0\] gave -1 at count 0/,
    );
  });
});
