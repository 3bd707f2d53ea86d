import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { rng } from "../helpers.ts";

const params = () => {
  const next = rng(7);
  return {
    w: { data: Float64Array.from({ length: 12 }, () => next() - 0.5), shape: [3, 4] },
    b: Float64Array.from({ length: 3 }, () => next() - 0.5),
  };
};

describe("adamwRecipe", () => {
  it("is the chain its doc spells out, step for step (a NaN step skipped, the average kept)", () => {
    const spelled = () =>
      m.ema(
        m.skipNonFinite(
          m.chain(
            m.clipByGlobalNorm(0.5),
            m.adamw({
              lr: m.warmupCosineDecay({ peak: 0.01, warmupSteps: 3, decaySteps: 30, end: 0 }),
              weightDecay: 0.05,
              mask: m.excludeBiasAndNorm,
            }),
          ),
          { maxConsecutive: 10 },
        ),
        { decay: 0.9 },
      );
    const recipe = () =>
      m.adamwRecipe({
        totalSteps: 30,
        lr: 0.01,
        warmupSteps: 3,
        weightDecay: 0.05,
        mask: m.excludeBiasAndNorm,
        maxNorm: 0.5,
        emaDecay: 0.9,
      });
    const go = (make: () => m.AnyTransformation, kernel: m.KernelName) => {
      const p = params();
      const opt = m.createOptimizer(make(), p, { kernel });
      for (let t = 0; t < 30; t++) {
        const g = m.mapTree(p, (d) =>
          d.map((x, j) => (t === 4 && j === 0 ? Number.NaN : x + 0.1 * Math.sin(t + j))),
        );
        opt.step(g);
      }
      return { p: m.leavesOf(p).map((a) => Array.from(a)), opt };
    };
    const ref = go(spelled, "reference");
    const fast = go(recipe, "js");
    expect(fast.opt.kernel).toBe("js");
    expect(fast.p).toEqual(ref.p);
    expect(fast.opt.stateDict()).toEqual(ref.opt.stateDict());
    expect((fast.opt.state as m.AverageState<m.SkipState>).inner.skipped).toBe(1);
    const avg = m.averagedParams(recipe(), fast.opt.state as never, fast.opt.params);
    expect(m.leavesOf(avg)[0]!.length).toBe(3);
  });
  it("runs on the WASM kernel for plain float32 params by default", () => {
    const opt = m.createOptimizer(m.adamwRecipe({ totalSteps: 100 }), { w: new Float32Array(10) });
    expect(opt.kernel).toBe("wasm");
  });
  it("checks its own options, naming itself", () => {
    expect(() => m.adamwRecipe({} as never)).toThrow(/adamwRecipe: totalSteps must be an integer ≥ 1/);
    expect(() => m.adamwRecipe({ totalSteps: 10, warmupSteps: 10 })).toThrow(
      /adamwRecipe: warmupSteps must be an integer from 0 to totalSteps − 1 \(9\)/,
    );
    expect(() => m.adamwRecipe({ totalSteps: 10, lr: -1 })).toThrow(/adamwRecipe: lr/);
    expect(() => m.adamwRecipe({ totalSteps: 10, warmup: 2 } as never)).toThrow(
      /adamwRecipe: unknown option 'warmup'/,
    );
  });
});
