import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.js";
import {
  type AnyTransformation,
  adamw,
  applyUpdates,
  chain,
  createOptimizer,
  declarationOf,
  declareOptimizer,
  injectHyperparams,
  muon,
  type OptionSpec,
  option,
  scale,
  sgd,
} from "../../src/index.js";

/** Every optimizer constructor of the public API, found by its declaration (no list kept here). */
const declared = Object.entries(api).flatMap(([name, f]) => {
  const d = declarationOf(f);
  return d ? [{ exported: name, f: f as (o?: object) => api.AnyTransformation, d }] : [];
});

const specs = (d: { options: unknown }) => Object.entries(d.options as Record<string, OptionSpec>);

/** The options with every default written out (masks and nested options left out). */
function explicitDefaults(defaults: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(defaults).filter(([, v]) => v !== undefined));
}

function run(tx: api.AnyTransformation, steps: number): Float64Array {
  let params = {
    w: { data: Float64Array.from([0.5, -1, 2, 0.25, -0.75, 1.5]), shape: [2, 3] },
    b: Float64Array.from([0.1, -0.2]),
  };
  if (tx.updateWithClosure) {
    // a closure optimizer (L-BFGS), on a quadratic bowl: loss ½ Σ (x − 0.3)²
    const opt = createOptimizer(tx, params as never, { kernel: "reference" });
    const closure = () => {
      let loss = 0;
      const grads = api.mapTree(params as never, (x) =>
        x.map((v) => {
          loss += 0.5 * (v - 0.3) ** 2;
          return v - 0.3;
        }),
      );
      return { loss, grads };
    };
    for (let t = 0; t < steps; t++) opt.step(closure);
    return Float64Array.from([...params.w.data, ...params.b]);
  }
  const state = tx.init(params);
  for (let t = 0; t < steps; t++) {
    const grads = {
      w: { data: params.w.data.map((x, i) => Math.sin(x * (i + 1) + t)), shape: [2, 3] },
      b: params.b.map((x) => x * 0.5 - 0.1 * t),
    };
    const updates = tx.update(grads as never, state as never, params as never);
    params = applyUpdates(params as never, updates) as typeof params;
  }
  return Float64Array.from([...params.w.data, ...params.b]);
}

describe("optimizer declarations", () => {
  it("the public API's optimizers are all declared, each under its own name, with a counterpart", () => {
    expect(declared.map((x) => x.exported).sort()).toEqual(
      [
        "adabelief",
        "asgd",
        "lbfgs",
        "rprop",
        "adan",
        "ademamix",
        "adopt",
        "dadaptAdamw",
        "ftrl",
        "lars",
        "prodigy",
        "soap",
        "yogi",
        "adadelta",
        "adafactor",
        "adagrad",
        "adam",
        "adamax",
        "adamw",
        "lamb",
        "lion",
        "muon",
        "nadam",
        "radam",
        "rmsprop",
        "scheduleFreeAdamw",
        "sgd",
        "sgdw",
      ].sort(),
    );
    for (const { exported, f, d } of declared) {
      expect(d.name).toBe(exported);
      expect(f.name).toBe(exported);
      expect(Object.keys(d.reference).length).toBeGreaterThan(0);
      // the common options first (FTRL, Rprop and L-BFGS have no weight decay; L-BFGS, as PyTorch's,
      // no maximize: its closure returns the loss it minimizes)
      const keys = Object.keys(d.options);
      if (keys.includes("weightDecay"))
        expect(keys.slice(0, 4)).toEqual(["lr", "weightDecay", "maximize", "mask"]);
      else expect([keys[0], keys.includes("maximize") || exported === "lbfgs"]).toEqual(["lr", true]);
    }
  });

  it("each declares how its weight decay acts, and it does: L2 is the same run as λ·p added to the gradient", () => {
    // L2 ⇔ for every step, (gradient g, decay λ) moves the params exactly as (g + λ·p, no decay)
    const run = (f: (o: object) => AnyTransformation, o: object, l2: number) => {
      // a 2-D leaf, so that muon trains it (its 1-D leaves go to AdamW)
      const w = Float64Array.from({ length: 6 }, (_, i) => 0.5 + 0.25 * i);
      const opt = createOptimizer(f(o), { w: { data: w, shape: [2, 3] } });
      for (let t = 0; t < 12; t++) {
        const g = Float64Array.from(
          { length: 6 },
          (_, i) => Math.sin(1 + i * 1.7 + t * 0.9) * (i + 1) + l2 * w[i]!,
        );
        opt.step({ w: { data: g, shape: [2, 3] } });
      }
      return w;
    };
    const gap = (a: Float64Array, b: Float64Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    for (const { exported, f, d } of declared) {
      const takesDecay = "weightDecay" in d.options;
      expect(d.decay !== undefined, exported).toBe(takesDecay);
      if (!takesDecay) continue;
      const defaults = (f as unknown as { defaults: { lr: number; momentum?: number } }).defaults;
      const lr = defaults.lr;
      // plain SGD's decoupled and L2 decay are the same step: with momentum they are not
      const base = defaults.momentum === 0 ? { momentum: 0.9 } : {};
      const variants: [object, boolean][] =
        d.decay === "either"
          ? [
              [{}, true],
              [{ decoupledWeightDecay: true }, false],
            ]
          : [[{}, d.decay === "l2"]];
      for (const [extra, isL2] of variants) {
        const mk = f as unknown as (o: object) => AnyTransformation;
        const decayed = run(mk, { ...base, ...extra, lr, weightDecay: 0.3 }, 0);
        const asGradient = run(mk, { ...base, ...extra, lr, weightDecay: 0 }, 0.3);
        const moved = gap(decayed, run(mk, { ...base, ...extra, lr, weightDecay: 0 }, 0));
        expect(moved, `${exported}: the decay moves the params`).toBeGreaterThan(0);
        if (isL2)
          expect(gap(decayed, asGradient), `${exported} ${JSON.stringify(extra)}`).toBeLessThan(1e-12);
        else
          expect(gap(decayed, asGradient), `${exported} ${JSON.stringify(extra)}`).toBeGreaterThan(
            1e-3 * moved,
          );
      }
    }
  });

  it("defaults are readable at run time (PyTorch's optimizer.defaults) and frozen", () => {
    expect(adamw.defaults).toEqual({
      lr: 1e-3,
      weightDecay: 0.01,
      maximize: false,
      mask: undefined,
      betas: [0.9, 0.999],
      eps: 1e-8,
      amsgrad: false,
      stateDtype: null,
      stateSeed: 0,
      decayWith: "lr",
    });
    expect(Object.isFrozen(adamw.defaults)).toBe(true);
    expect(sgd.defaults).toMatchObject({ lr: 1e-3, momentum: 0, dampening: 0, nesterov: false });
    expect(muon.defaults).toMatchObject({
      lr: 1e-3,
      weightDecay: 0.1,
      momentum: 0.95,
      nesterov: true,
      nsSteps: 5,
    });
  });

  it("the defaults are the values the optimizer uses: writing them out changes no number", () => {
    for (const { f } of declared) {
      const given = explicitDefaults((f as unknown as { defaults: Record<string, unknown> }).defaults);
      expect(run(f(given), 4), f.name).toEqual(run(f(), 4));
    }
  });

  it("every declared option is checked: out of range, wrong type, unknown or null is refused, naming the optimizer and option", () => {
    for (const { f, d } of declared) {
      for (const [name, spec] of specs(d)) {
        const bad =
          spec.type === "number"
            ? Number.NaN
            : spec.type === "tuple"
              ? spec.items.map(() => Number.NaN)
              : spec.type === "boolean"
                ? "yes"
                : spec.type === "choice"
                  ? "no-such-choice"
                  : 42; // mask, nested options
        expect(() => f({ [name]: bad }), `${d.name}.${name}`).toThrow(new RegExp(`^${d.name}: ${name}`));
      }
      expect(() => f({ learningRate: 1 })).toThrow(new RegExp(`${d.name}: unknown option 'learningRate'`));
    }
  });

  it("any number in an option's declared range is accepted, any outside refused (property)", () => {
    const numbers = declared.flatMap(({ f, d }) =>
      specs(d)
        .filter(([, s]) => s.type === "number" && !s.integer)
        .map(([name, s]) => ({ f, name, range: (s as api.NumberOption).range })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...numbers), fc.double({ noNaN: true }), ({ f, name, range }, x) => {
        const inside = api.inInterval(x, range);
        try {
          f({ [name]: x });
          return inside;
        } catch (e) {
          return (
            !inside && e instanceof RangeError && (e as Error).message.includes(`: ${name} = ${x} is outside`)
          );
        }
      }),
      { seed: 7, numRuns: 400 },
    );
  });

  it("what a schedule may drive is declared: injectHyperparams follows it", () => {
    expect(adamw.schedulable).toEqual(["lr", "weightDecay", "betas[0]"]);
    expect(sgd.schedulable).toEqual(["lr", "weightDecay", "momentum"]);
    const opt = createOptimizer(
      injectHyperparams(sgd, { lr: 0.1, momentum: (c: number) => 0.5 + 0.1 * Math.min(c, 4) }),
      {
        w: Float64Array.from([1, 2]),
      },
    );
    opt.step({ w: Float64Array.from([1, 1]) });
    expect(opt.hyperparams!.momentum).toBeCloseTo(0.6, 15);
  });

  it("an optimizer declared outside the library gets checks, defaults and live hyperparameters the same way", () => {
    const scaled = declareOptimizer({
      name: "scaledSgd",
      title: "Scaled SGD",
      reference: { code: "a test" },
      options: {
        /** Learning rate. */
        lr: option.number(0.1, "(0, inf)", { schedulable: true }),
        /** A factor in [0, 2]. */
        factor: option.number(1, "[0, 2]", { schedulable: true }),
        /** Negate first. */
        flip: option.boolean(false),
      },
      build: (o) =>
        chain(
          scale(o.flip ? -1 : 1),
          api.scaleBySchedule((c) => -api.hyperAt(o.lr, c) * api.hyperAt(o.factor, c)),
        ),
    });
    expect(scaled.defaults).toEqual({ lr: 0.1, factor: 1, flip: false });
    expect(scaled.schedulable).toEqual(["lr", "factor"]);
    expect(() => scaled({ factor: 3 })).toThrow("scaledSgd: factor = 3 is outside the allowed range [0, 2]");
    expect(() => scaled({ fctor: 1 } as never)).toThrow("did you mean 'factor'?");
    const opt = createOptimizer(injectHyperparams(scaled, { factor: (c: number) => 1 + c }), {
      w: Float64Array.from([1]),
    });
    opt.step({ w: Float64Array.from([1]) });
    expect((opt.params as { w: Float64Array }).w[0]).toBeCloseTo(1 - 0.1 * 1, 15);
    opt.step({ w: Float64Array.from([1]) });
    expect((opt.params as { w: Float64Array }).w[0]).toBeCloseTo(1 - 0.1 - 0.1 * 2, 15);
  });
});
