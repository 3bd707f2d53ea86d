/**
 * The state dict, version 2: one rule for non-finite values (what is saved is read back), semantic
 * ranges on load, the hyperparameters recorded and compared, version 1 still read.
 */
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  createOptimizer,
  injectHyperparams,
  type StateDict,
  sgd,
  warmupCosineDecay,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

type Params = { w: Float32Array; b: Float64Array };
const params = (): Params => ({ w: Float32Array.from([1, -2, 3]), b: Float64Array.from([0.5]) });
const of = (opt: { params: unknown }) => opt.params as Params;
const grads = (s: number) => ({ w: Float32Array.from([s, 1, -s]), b: Float64Array.from([s]) });

describe("non-finite state: what stateDict writes, loadStateDict reads", () => {
  it("a diverged run (NaN and ∞ in the moments) saves, loads and continues exactly", () => {
    const a = createOptimizer(adam({ lr: 0.1 }), params());
    a.step(grads(1));
    a.step({ w: Float32Array.from([Number.NaN, 3e38, 1]), b: Float64Array.from([Number.POSITIVE_INFINITY]) });
    const saved = JSON.parse(JSON.stringify(a.stateDict())) as StateDict;
    const b = createOptimizer(adam({ lr: 0.1 }), params());
    of(b).w.set(of(a).w);
    of(b).b.set(of(a).b);
    expect(b.loadStateDict(saved).differences).toEqual([]);
    expect(JSON.stringify(b.stateDict())).toBe(JSON.stringify(a.stateDict()));
    a.step(grads(2));
    b.step(grads(2));
    expect(JSON.stringify(b.stateDict())).toBe(JSON.stringify(a.stateDict()));
    expect(Array.from(of(b).w)).toEqual(Array.from(of(a).w));
  });

  it("refuses a negative second moment or a count that is not a whole number below 2^53", () => {
    const opt = createOptimizer(adam({ lr: 0.1 }), params());
    opt.step(grads(1));
    const good = opt.stateDict();
    const edit = (f: (s: Record<string, unknown>) => void) => {
      const d = structuredClone(good);
      f((d.state as Record<string, unknown>[])[0]!);
      return d;
    };
    const negative = edit((s) => ((s.expAvgSq as unknown[])[0] = { $f64: "AAAAAAAA8L8=" }));
    expect(() => opt.loadStateDict(negative)).toThrow(/expAvgSq\.0: element 0 is -1/);
    const huge = edit((s) => (s.count = 2 ** 53));
    expect(() => opt.loadStateDict(huge)).toThrow(
      /count: a count must be a whole number from 0 to 2\^53 − 1/,
    );
    expect(opt.stateDict()).toEqual(good);
  });
});

describe("hyperparameters in the state dict", () => {
  const schedule = (peak: number) => warmupCosineDecay({ peak, warmupSteps: 5, decaySteps: 100 });

  it("records each link's settings, a schedule by its value at the saved count", () => {
    const opt = createOptimizer(
      chain(clipByGlobalNorm(1), adamw({ lr: schedule(1e-3), betas: [0.8, 0.99] })),
      params(),
    );
    for (let i = 0; i < 3; i++) opt.step(grads(i));
    expect(opt.stateDict().hyperparams).toEqual({
      maxNorm: 1,
      normType: 2,
      errorIfNonfinite: false,
      "betas[0]": 0.8,
      "betas[1]": 0.99,
      eps: 1e-8,
      amsgrad: false,
      biasCorrection: true,
      weightDecay: 0.01,
      lr: schedule(1e-3)(3),
    });
  });

  it("loading keeps this optimizer's and reports every difference; strict refuses and changes nothing", () => {
    const a = createOptimizer(adamw({ lr: schedule(1e-3) }), params());
    for (let i = 0; i < 3; i++) a.step(grads(i));
    const saved = a.stateDict();
    const b = createOptimizer(adamw({ lr: schedule(3e-4), eps: 1e-6 }), params());
    const before = JSON.stringify(b.stateDict());
    expect(() => b.loadStateDict(saved, { strict: true })).toThrow(
      /saved with other hyperparameters \(eps: saved 1e-8, now 0\.000001; lr: saved 0\.0006\d*, now 0\.00017\d*\)/,
    );
    expect(JSON.stringify(b.stateDict())).toBe(before);
    const report = b.loadStateDict(saved);
    expect(report).toEqual({
      compared: true,
      differences: [
        { name: "eps", saved: 1e-8, current: 1e-6 },
        { name: "lr", saved: schedule(1e-3)(3), current: schedule(3e-4)(3) },
      ],
      converted: [],
    });
    expect(b.stepCount).toBe(3);
    // The same optimizer: nothing to report, and strict loads.
    const c = createOptimizer(adamw({ lr: schedule(1e-3) }), params());
    expect(c.loadStateDict(saved, { strict: true })).toEqual({
      compared: true,
      differences: [],
      converted: [],
    });
  });

  it("an option of loadStateDict it does not know is refused", () => {
    const opt = createOptimizer(adam(), params());
    expect(() => opt.loadStateDict(opt.stateDict(), { stric: true } as never)).toThrow(
      /unknown option 'stric'/,
    );
  });

  it("live values (injectHyperparams) are restored, and an invalid one is refused", () => {
    const f64 = () => ({ w: Float64Array.from([1, -2, 3]) });
    const opt = createOptimizer(injectHyperparams(sgd, { lr: 0.1, momentum: 0.9 }), f64());
    opt.step({ w: Float64Array.from([1, 1, 1]) });
    opt.hyperparams!.lr = 0.05;
    const saved = opt.stateDict();
    expect(saved.hyperparams).toMatchObject({ lr: 0.05, momentum: 0.9 });
    const other = createOptimizer(injectHyperparams(sgd, { lr: 0.1, momentum: 0.9 }), f64());
    other.loadStateDict(saved);
    expect(other.hyperparams!.lr).toBe(0.05);
    const bad = structuredClone(saved);
    (bad.state as { hyperparams: Record<string, number> }).hyperparams.momentum = 7;
    const before = JSON.stringify(other.stateDict());
    expect(() => other.loadStateDict(bad)).toThrow(/sgd: momentum = 7 is outside the allowed range \[0, 1\]/);
    expect(JSON.stringify(other.stateDict())).toBe(before);
  });

  it("a version-1 state dict (no hyperparameters) still loads, with nothing compared", () => {
    const a = createOptimizer(adam({ lr: 0.1 }), params());
    a.step(grads(1));
    const { hyperparams: _, ...v1 } = { ...a.stateDict(), version: 1 };
    const b = createOptimizer(adam({ lr: 0.1 }), params());
    expect(b.loadStateDict(v1)).toEqual({ compared: false, differences: [], converted: [] });
    expect(b.stepCount).toBe(1);
  });
});
