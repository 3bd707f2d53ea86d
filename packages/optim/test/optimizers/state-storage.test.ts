/**
 * `stateDtype` on the optimizer aliases (common.ts's `stateStorage`): AdamW's state in ≤ 4.25 bytes
 * per param in bfloat16 and ≤ 2.25 in int8 (`opt.stateBytes`); every alias that takes it trains the
 * ill-conditioned quadratic to within 10 % of its float-state loss where float state is still far
 * from converged; the option is checked like any other, declared once (defaults, CLI, Playground),
 * and a chosen dtype runs the reference chain, not a fused kernel that would keep float moments.
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { INT8_BLOCK } from "../../src/transforms/compact-state.ts";
import { illConditionedQuadratic, N } from "../helpers.ts";

type Storage = { stateDtype?: m.StateDtype | null; stateSeed?: number };

/** Each alias that takes `stateDtype`, with options that give it a moment and an lr that trains the quadratic. */
const ALIASES: [string, (o: Storage) => m.Optimizer][] = [
  ["adam", (o) => m.adam({ lr: 0.01, ...o })],
  ["adamw", (o) => m.adamw({ lr: 0.01, ...o })],
  ["sgd", (o) => m.sgd({ lr: 0.002, momentum: 0.9, ...o })],
  ["sgdw", (o) => m.sgdw({ lr: 0.002, momentum: 0.9, weightDecay: 0.01, ...o })],
  ["lion", (o) => m.lion({ lr: 0.01, ...o })],
  ["rmsprop", (o) => m.rmsprop({ lr: 0.003, momentum: 0.5, ...o })],
  ["adagrad", (o) => m.adagrad({ lr: 0.1, initialAccumulatorValue: 0.1, ...o })],
  ["lamb", (o) => m.lamb({ lr: 0.01, weightDecay: 0, ...o })],
];

function train(make: (o: Storage) => m.Optimizer, options: Storage, steps: number) {
  const q = illConditionedQuadratic(1);
  const p = { x: q.x0.slice() };
  const opt = m.createOptimizer(make(options), p);
  const g = { x: new Float32Array(N) };
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < N; i++) g.x[i] = q.h[i]! * p.x[i]!;
    opt.step(g);
  }
  return { loss: q.loss(p.x), opt, start: q.loss(q.x0) };
}

describe("stateDtype on the optimizers", () => {
  it("AdamW keeps ≤ 4.25 bytes per param of state in bfloat16 and ≤ 2.25 in int8 (8 in float32)", () => {
    const n = 1 << 16;
    const perParam = (o: Storage) => m.createOptimizer(m.adamw(o), { w: new Float32Array(n) }).stateBytes / n;
    expect(perParam({})).toBe(8 + 8 / n);
    expect(perParam({ stateDtype: "bfloat16" })).toBeLessThanOrEqual(4.25);
    expect(perParam({ stateDtype: "int8" })).toBeLessThanOrEqual(2.25);
    expect(perParam({ stateDtype: "int8" })).toBe(2 + 8 / INT8_BLOCK + 8 / n);
  });

  for (const [name, make] of ALIASES)
    it(`${name}: bfloat16 and int8 within 10 % of float state's loss, float far from converged`, () => {
      const steps = 100;
      const ref = train(make, {}, steps);
      expect(ref.loss).toBeLessThan(ref.start / 3);
      expect(ref.loss).toBeGreaterThan(1);
      for (const stateDtype of ["bfloat16", "int8"] as const) {
        const r = train(make, { stateDtype }, steps);
        expect(Math.abs(r.loss / ref.loss - 1), `${stateDtype}: ${r.loss} vs ${ref.loss}`).toBeLessThan(0.1);
        expect(r.opt.stateBytes).toBeLessThan(ref.opt.stateBytes / (stateDtype === "int8" ? 3.5 : 1.9));
      }
    });

  it("runs bfloat16 and int8 moments on the fused kernels (int8: Adam's only)", () => {
    const params = () => ({ w: new Float32Array(64) });
    expect(m.createOptimizer(m.adamw(), params()).kernel).not.toBe("reference");
    // the alias describes itself (the kernels and observe read it)
    for (const stateDtype of ["float32", "bfloat16", "int8"] as const)
      expect(m.adamw({ stateDtype }).fusion).toMatchObject({ kind: "adam", stateDtype });
    expect(m.createOptimizer(m.adamw({ stateDtype: "bfloat16" }), params()).kernel).not.toBe("reference");
    expect(m.createOptimizer(m.adamw({ stateDtype: "int8" }), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.lion({ stateDtype: "int8" }), params()).kernel).toBe("reference");
    expect(() => m.createOptimizer(m.lion({ stateDtype: "int8" }), params(), { kernel: "wasm" })).toThrow(
      'lion keeps its moments in 8 bits (stateDtype "int8"), and the fused kernels run Adam\'s 8-bit moments only',
    );
    // float32 state for float64 params: the moments are Float32Arrays, on the reference chain
    const opt = m.createOptimizer(m.adam({ stateDtype: "float32" }), { w: new Float64Array(8) });
    expect(opt.kernel).toBe("reference");
    expect(opt.buffers.expAvg![0]).toBeInstanceOf(Float32Array);
    expect(opt.stateBytes).toBe(2 * 8 * 4 + 8);
  });

  it("observe reads compact state: the effective lr and the decay as with float state", () => {
    const report = (stateDtype?: m.StateDtype) => {
      const seen: m.OptimizerStats[] = [];
      const opt = m.createOptimizer(
        m.observe(m.adamw({ lr: 1e-2, stateDtype }), (s) => seen.push(s), { every: 1 }),
        { w: new Float32Array(512).fill(1) },
      );
      const g = { w: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)) };
      for (let t = 0; t < 3; t++) opt.step(g);
      return seen.at(-1)!;
    };
    const float = report();
    for (const stateDtype of ["bfloat16", "int8"] as const) {
      const r = report(stateDtype);
      expect(r.effectiveLr, stateDtype).not.toBeNull();
      expect(r.decay, stateDtype).not.toBeNull();
      expect(r.effectiveLr!.p50 / float.effectiveLr!.p50).toBeCloseTo(1, 2);
    }
  });

  it("is seeded: the same stateSeed gives the same run, another seed another", () => {
    const dict = (stateSeed: number) =>
      JSON.stringify(train(ALIASES[1]![1], { stateDtype: "bfloat16", stateSeed }, 5).opt.stateDict().state);
    expect(dict(7)).toBe(dict(7));
    expect(dict(7)).not.toBe(dict(8));
  });

  it("a float32-state checkpoint loads into a bfloat16 AdamW only when asked to convert, and says so", () => {
    const params = () => ({ w: Float32Array.from({ length: 300 }, (_, i) => Math.cos(i)) });
    const g = { w: Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)) };
    const float = m.createOptimizer(m.adamw({ lr: 1e-2 }), params());
    for (let t = 0; t < 3; t++) float.step(g);
    const compact = m.createOptimizer(m.adamw({ lr: 1e-2, stateDtype: "bfloat16" }), params());
    const before = JSON.stringify(compact.stateDict());
    expect(() => compact.loadStateDict(float.stateDict())).toThrow(
      "loadStateDict: state.0.expAvg.0: saved as float32, but this optimizer stores bfloat16 (stateDtype): load with { convertState: true } to convert",
    );
    expect(JSON.stringify(compact.stateDict())).toBe(before);
    const report = compact.loadStateDict(float.stateDict(), { convertState: true });
    expect(report.converted).toEqual([
      { path: "state.0.expAvg.0", from: "float32", to: "bfloat16" },
      { path: "state.0.expAvgSq.0", from: "float32", to: "bfloat16" },
    ]);
    expect(report.differences).toEqual([{ name: "stateDtype", current: "bfloat16" }]);
    expect(compact.stepCount).toBe(3);
    // the moments as loaded: float32's, to bfloat16's 3 significant digits
    const [m0, f0] = [compact.buffers.expAvg![0]!, float.buffers.expAvg![0]!];
    for (let i = 0; i < f0.length; i++)
      expect(Math.abs(m0[i]! - f0[i]!)).toBeLessThanOrEqual(2 ** -8 * Math.abs(f0[i]!));
  });

  it("is checked like any option, and declared once", () => {
    expect(() => m.adamw({ stateDtype: "float16" as "int8" })).toThrow(
      /^adamw: stateDtype must be null, "float32", "bfloat16" or "int8", got "float16"$/,
    );
    expect(() => m.lion({ stateSeed: -1 })).toThrow(/^lion: stateSeed = -1 is outside /);
    expect(() => m.rmsprop({ centered: true, stateDtype: "int8" })).toThrow(
      /^rmsprop: centered with stateDtype "int8"/,
    );
    for (const [name] of ALIASES) {
      const f = (m as unknown as Record<string, { defaults: Record<string, unknown> }>)[name]!;
      expect(f.defaults).toMatchObject({ stateDtype: null, stateSeed: 0 });
    }
  });
});
