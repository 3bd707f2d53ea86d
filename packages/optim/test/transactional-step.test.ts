/**
 * Every step is all or nothing: whatever throws inside a step — a schedule returning NaN, a callback,
 * a wrapper's own check, a link that fails part-way — params, state and step count stay bit-identical
 * to before, and a retry gives exactly what a run that never failed gives.
 */
import fc from "fast-check";
import {
  type AnyTransformation,
  accumulateGradients,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  createOptimizer,
  ema,
  type GradientTransformation,
  injectHyperparams,
  kernelsFor,
  lion,
  lookahead,
  nadam,
  observe,
  packTree,
  radam,
  rmsprop,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  skipNonFinite,
  type ThreadPool,
  trace,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

/** Armed faults: a fault fires once, at the call it is armed for, then disarms. */
class Faults {
  armed = new Set<string>();
  fire(site: string): void {
    if (this.armed.delete(site)) throw new Error(`injected fault at ${site}`);
  }
}

/** A schedule that returns NaN when armed (the optimizer's check must throw before writing). */
const nanSchedule = (faults: Faults, site: string, value: number) =>
  Object.assign((_count: number) => (faults.armed.delete(site) ? Number.NaN : value), { base: value });

/** A link that throws when armed, after doing part of its work on the updates it was handed. */
function bomb(faults: Faults, site: string): GradientTransformation<{ calls: number }> {
  return {
    init: () => ({ calls: 0 }),
    update(updates, state) {
      state.calls += 1;
      faults.fire(site);
      return updates;
    },
  };
}

type Recipe = { name: string; sites: string[]; build(f: Faults): AnyTransformation };

const RECIPES: Recipe[] = [
  {
    name: "adamw, lr schedule",
    sites: ["lr"],
    build: (f) => adamw({ lr: nanSchedule(f, "lr", 1e-2), weightDecay: 0.1 }),
  },
  {
    name: "adam with amsgrad then a failing link",
    sites: ["tail"],
    build: (f) => chain(adam({ lr: 1e-2, amsgrad: true }), bomb(f, "tail")),
  },
  {
    name: "sgd nesterov, momentum schedule",
    sites: ["momentum"],
    build: (f) => sgd({ lr: 0.05, momentum: nanSchedule(f, "momentum", 0.9), nesterov: true }),
  },
  {
    name: "clip → adam moments → failing link → lr",
    sites: ["mid"],
    build: (f) => chain(clipByGlobalNorm(0.5), scaleByAdam(), bomb(f, "mid"), scaleByLearningRate(1e-2)),
  },
  {
    name: "trace → weight-decay schedule",
    sites: ["wd"],
    build: (f) =>
      rmsprop({ lr: 1e-2, momentum: 0.5, weightDecay: nanSchedule(f, "wd", 0.01), centered: true }),
  },
  {
    name: "injectHyperparams(adamw) with a lr schedule",
    sites: ["inject-lr"],
    build: (f) => injectHyperparams(adamw, { lr: nanSchedule(f, "inject-lr", 1e-2), weightDecay: 0.05 }),
  },
  {
    name: "skipNonFinite(observe(nadam)) with a throwing callback",
    sites: ["callback"],
    build: (f) =>
      skipNonFinite(
        observe(
          nadam({ lr: 1e-2 }),
          () => {
            f.fire("callback");
          },
          { every: 1 },
        ),
      ),
  },
  {
    name: "accumulateGradients(radam) then a failing link",
    sites: ["acc-tail"],
    build: (f) => chain(accumulateGradients(radam({ lr: 1e-2 }), 2), bomb(f, "acc-tail")),
  },
  {
    name: "ema(lion) then a failing link",
    sites: ["ema-tail"],
    build: (f) => chain(ema(lion({ lr: 1e-3 }), { decay: 0.9 }), bomb(f, "ema-tail")),
  },
  // compact state: the undo must put back the 16-bit words, the 8-bit codes and their block scales
  {
    name: "adamw with int8 state, lr schedule",
    sites: ["int8-lr"],
    build: (f) => adamw({ lr: nanSchedule(f, "int8-lr", 1e-2), stateDtype: "int8", amsgrad: true }),
  },
  {
    name: "sgd momentum with bfloat16 state then a failing link",
    sites: ["bf16-tail"],
    build: (f) => chain(sgd({ lr: 0.05, momentum: 0.9, stateDtype: "bfloat16" }), bomb(f, "bf16-tail")),
  },
  {
    name: "lion with int8 state, weight-decay schedule",
    sites: ["lion-wd"],
    build: (f) => lion({ lr: 1e-3, weightDecay: nanSchedule(f, "lion-wd", 0.1), stateDtype: "int8" }),
  },
  {
    name: "lookahead(sgd momentum) with a failing link inside",
    sites: ["inner"],
    build: (f) =>
      lookahead(chain(trace({ momentum: 0.9 }), bomb(f, "inner"), scaleByLearningRate(0.05)), { k: 3 }),
  },
];

function paramsOf(seed: number, dtype: "f32" | "f64") {
  const make = (n: number, k: number) => {
    const a = dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(seed + 7 * k + i) * 0.5;
    return a;
  };
  return { w: make(6, 1), layer: { b: make(3, 2) } };
}

function gradsAt(step: number, dtype: "f32" | "f64") {
  const p = paramsOf(step * 13 + 1, dtype);
  return { w: p.w, layer: { b: p.layer.b } };
}

const snapshotOf = (opt: { params: unknown; stateDict(): unknown; stepCount: number }) =>
  JSON.stringify({ params: encodeTree(opt.params), state: opt.stateDict(), count: opt.stepCount });

function encodeTree(t: unknown): unknown {
  if (t instanceof Float32Array || t instanceof Float64Array)
    return Array.from(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  if (t && typeof t === "object")
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, encodeTree(v)]));
  return t;
}

describe("a failed step changes nothing", () => {
  it("random recipes × random failure points × both dtypes × both ways of passing gradients", () => {
    let failures = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: RECIPES.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom<"f32" | "f64">("f32", "f64"),
        fc.boolean(),
        fc.constantFrom<"auto" | "reference">("auto", "reference"),
        (which, failAt, dtype, fromOwnBuffer, kernel) => {
          const recipe = RECIPES[which]!;
          const faults = new Faults();
          const clean = new Faults();
          const opt = createOptimizer(recipe.build(faults), paramsOf(1, dtype), { kernel });
          const twin = createOptimizer(recipe.build(clean), paramsOf(1, dtype), { kernel });
          const step = (o: typeof opt, t: number) => {
            const g = gradsAt(t, dtype);
            if (fromOwnBuffer) {
              (o.grads as typeof g).w.set(g.w);
              (o.grads as typeof g).layer.b.set(g.layer.b);
              o.step(o.grads);
            } else o.step(g);
          };
          for (let t = 0; t < 8; t++) {
            if (t === failAt) {
              const before = snapshotOf(opt);
              for (const site of recipe.sites) faults.armed.add(site);
              expect(() => step(opt, t)).toThrow();
              failures += 1;
              expect(snapshotOf(opt)).toBe(before);
              faults.armed.clear();
            }
            step(opt, t); // the retry (or an ordinary step)
            step(twin, t);
            expect(snapshotOf(opt)).toBe(snapshotOf(twin));
          }
        },
      ),
      { numRuns: 120, seed: 14 },
    );
    expect(failures).toBe(120);
  });

  it("a fault inside a running kernel marks the optimizer failed until a state dict is loaded", () => {
    // A thread pool whose workers run the kernels, until one dies mid-pass (the fault the kernels
    // cannot roll back without copying the state).
    let alive = true;
    const pool: ThreadPool = {
      size: 2,
      minPerThread: 1,
      run(memory, name, calls) {
        return calls.map((args, i) => {
          if (!alive && i === 1) throw new Error("worker 1 died");
          const fn = kernelsFor(memory)[name] as (...a: number[]) => number | undefined;
          return fn(...args) ?? 0;
        });
      },
      close() {},
    };
    const params = packTree({ w: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) }, { shared: true });
    const opt = createOptimizer(adamw({ lr: 0.1 }), params, { pool });
    expect(opt.kernel).toBe("wasm");
    const g = () => ({ w: new Float32Array(8).fill(1) });
    opt.step(g());
    const saved = opt.stateDict();
    const savedParams = Float32Array.from((params as { w: Float32Array }).w);
    alive = false;
    expect(() => opt.step(g())).toThrow(/inside the wasm kernel.*loadStateDict.*worker 1 died/);
    alive = true;
    expect(() => opt.step(g())).toThrow(/inside the wasm kernel/);
    expect(opt.stepCount).toBe(1);
    (params as { w: Float32Array }).w.set(savedParams);
    opt.loadStateDict(saved);
    opt.step(g());
    expect(opt.stepCount).toBe(2);
  });
});
