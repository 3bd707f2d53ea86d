import {
  adam,
  adamw,
  createOptimizer,
  type FloatArray,
  findVScars,
  observe,
  type ScaleByAdamState,
  typicalGradSq,
  updateTypicalGradSq,
  type VScarReport,
  vScarRecoverySteps,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { normal, rng } from "../../src/rng.ts";

const shapeB = [3, 4];

/** A stream of N(0, 1) gradients on a small tree; `spike` puts 100 on b[7] (a 100× gradient). */
function stream(seed: number) {
  const gauss = normal(rng(seed));
  return (spike = false) => {
    const g = {
      a: new Float64Array(8).map(() => gauss()),
      b: { data: new Float64Array(12).map(() => gauss()), shape: shapeB },
      c: new Float64Array(5).map(() => gauss()),
    };
    if (spike) g.b.data[7] = 100;
    return g;
  };
}

/**
 * Trains adamw on the stream with observe({ vScar }), spiking at `spikeAt` (a reporting step), then
 * continues the stream until b[7] has recovered — v̂ ≤ recoverFactor·r̂, the definition the
 * prediction uses — and returns the report at the spike and the measured number of steps.
 */
function spikeAndRecover(seed: number, beta2: number, vScar: { window?: number; recoverFactor?: number }) {
  const window = vScar.window ?? 100;
  const recoverFactor = vScar.recoverFactor ?? 2;
  const spikeAt = 300;
  const params = {
    a: new Float64Array(8),
    b: { data: new Float64Array(12), shape: shapeB },
    c: new Float64Array(5),
  };
  const reports = new Map<number, VScarReport>();
  const opt = createOptimizer(
    observe(adamw({ lr: 1e-3, betas: [0.9, beta2] }), (s) => reports.set(s.step, s.vScar!), {
      every: 10,
      vScar,
    }),
    params,
  );
  const grads = stream(seed);
  for (let t = 1; t <= spikeAt; t++) opt.step(grads(t === spikeAt));
  const adamState = (opt.state.inner as unknown[]).find(
    (s): s is ScaleByAdamState => !!s && typeof s === "object" && "expAvgSq" in s,
  )!;
  const recovered = () =>
    adamState.expAvgSq[1]![7]! / (1 - beta2 ** adamState.count) <=
    recoverFactor * typicalGradSq(opt.state.typical![1]![7]!, opt.state.count, window);
  let measured = 0;
  while (!recovered()) {
    opt.step(grads());
    measured += 1;
  }
  return { before: reports.get(spikeAt - 10)!, at: reports.get(spikeAt)!, measured, reports };
}

describe("v-scar detection", () => {
  it("finds the one spiked coordinate, by path and index, and predicts its recovery within 10%", () => {
    for (const seed of [1, 2, 3]) {
      const { before, at, measured, reports } = spikeAndRecover(seed, 0.99, {});
      expect(before.count).toBe(0);
      expect(at.count).toBe(1);
      const scar = at.scars[0]!;
      expect(scar.path).toBe("b");
      expect(scar.index).toBe(7);
      expect(scar.ratio).toBeGreaterThan(50); // (1−β2)·100² = 100 on top of E[g²] = 1
      expect(scar.ratio).toBe(scar.vHat / scar.typical);
      expect(Math.abs(scar.recoverySteps! - measured) / measured).toBeLessThan(0.1);
      // the flag clears once v̂ < factor·r̂, long before full recovery
      const later = [...reports.entries()].filter(([step]) => step > 300 + measured);
      expect(later.every(([, r]) => r.count === 0)).toBe(true);
    }
  });

  it("the same at Adam's default β2 = 0.999, with a longer estimate window", () => {
    const { at, measured } = spikeAndRecover(4, 0.999, { window: 1000 });
    const scar = at.scars[0]!;
    expect([at.count, scar.path, scar.index]).toEqual([1, "b", 7]);
    expect(Math.abs(scar.recoverySteps! - measured) / measured).toBeLessThan(0.1);
  });

  it("a clean stream raises no flag", () => {
    let flagged = 0;
    let reports = 0;
    const opt = createOptimizer(
      observe(
        adam({ lr: 1e-3 }),
        (s) => {
          flagged += s.vScar!.count;
          reports += 1;
        },
        { every: 10, vScar: true },
      ),
      { a: new Float64Array(8), b: { data: new Float64Array(12), shape: shapeB }, c: new Float64Array(5) },
    );
    const grads = stream(11);
    for (let t = 0; t < 2000; t++) opt.step(grads());
    expect(reports).toBe(200);
    expect(flagged).toBe(0);
  });

  it("AMSGrad's max never decays: flagged, with no recovery", () => {
    const at: VScarReport[] = [];
    const opt = createOptimizer(
      observe(adam({ lr: 1e-3, betas: [0.9, 0.99], amsgrad: true }), (s) => at.push(s.vScar!), {
        every: 50,
        vScar: true,
      }),
      { a: new Float64Array(8), b: { data: new Float64Array(12), shape: shapeB }, c: new Float64Array(5) },
    );
    const grads = stream(5);
    for (let t = 1; t <= 600; t++) opt.step(grads(t === 100));
    expect(at[1]!.scars[0]).toMatchObject({ path: "b", index: 7, recoverySteps: null });
    expect(at.at(-1)!.scars[0]).toMatchObject({ path: "b", index: 7 }); // still there 500 steps on
  });
});

describe("v-scar pieces", () => {
  it("the recovery formula is the first step the expected v̂ gets there", () => {
    for (const [vHat, typical, beta2, count, f] of [
      [100, 1, 0.99, 300, 2],
      [40, 0.5, 0.999, 300, 2],
      [12, 1, 0.999, 5000, 3],
      [1e4, 2, 0.9, 10, 1.5],
    ] as const) {
      const predicted = vScarRecoverySteps(vHat, typical, beta2, count, f)!;
      // iterate E[v] ← β2·v + (1−β2)·typical and the bias correction, exactly
      let v = vHat * (1 - beta2 ** count);
      let s = 0;
      while (v / (1 - beta2 ** (count + s)) > f * typical) {
        v = beta2 * v + (1 - beta2) * typical;
        s += 1;
      }
      expect(predicted).toBe(s);
    }
    expect(vScarRecoverySteps(1.5, 1, 0.99, 100, 2)).toBe(0);
    expect(vScarRecoverySteps(5, 0, 0.99, 100, 2)).toBeNull();
  });

  it("the running estimate: a spike moves it by at most (factor−1)/window; a lasting rise is followed", () => {
    const opts = { window: 100, factor: 10 };
    const r = new Float64Array(1);
    const g = new Float64Array(1);
    let t = 0;
    const feed = (x: number) => {
      g[0] = x;
      updateTypicalGradSq(r, g, ++t, opts);
      return typicalGradSq(r[0]!, t, opts.window);
    };
    for (let k = 0; k < 500; k++) feed(k % 2 ? 1 : -1);
    expect(feed(1)).toBeCloseTo(1, 12);
    const afterSpike = feed(1000); // g² = 1e6, capped at 10·r̂
    // r̂ ← r̂·(1 + (factor−1)(1−ρ)/(1−ρᵗ)): (factor−1)/window, bias correction aside
    expect(afterSpike).toBeCloseTo(1 + 0.09 / (1 - 0.99 ** t), 12);
    expect(feed(Number.NaN)).toBeLessThan(1.2); // non-finite enters as the cap
    // a lasting 100× rise: ×(1 + 9/100) per step while far below (1.09^100 ≈ 5500), then an EMA
    for (let k = 0; k < 99; k++) feed(100);
    expect(feed(100)).toBeGreaterThan(0.2 * 1e4);
    for (let k = 0; k < 300; k++) feed(100);
    expect(feed(100)).toBeGreaterThan(0.95 * 1e4);
  });

  it("findVScars counts all, lists the worst first, at most maxReported", () => {
    const v: FloatArray[] = [new Float64Array([1, 50, 30, 1]), new Float64Array([200, 0.5])];
    const typical: FloatArray[] = [new Float64Array([1, 1, 1, 0]), new Float64Array([2, 0.1])];
    const report = findVScars(
      { paths: ["x", "y"], v, count: 1e6, beta2: 0.999, amsgrad: false, typical, typicalCount: 1e6 },
      { window: 100, factor: 10, recoverFactor: 2, maxReported: 2 },
    );
    expect(report.count).toBe(3); // x[1] (50×), x[2] (30×), y[0] (100×); x[3] has no recent gradient
    expect(report.scars.map((s) => [s.path, s.index])).toEqual([
      ["y", 0],
      ["x", 1],
    ]);
    expect(report.scars[0]!.ratio).toBeCloseTo(100, 9);
  });
});
