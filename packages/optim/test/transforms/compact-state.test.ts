/**
 * Compact optimizer state (`stateDtype`) at the transform level, on scaleByAdam: bfloat16 and 8-bit
 * moments reach within 10 % of float32 state's loss on an ill-conditioned quadratic (curvatures over
 * 4 decades inside each block) where float32 is still far from converged; the bytes are 2 and
 * 1 + 4/256 per moment; state dicts resume bit for bit; a failed step leaves compact state as it
 * was; the rounding is seeded; float state is unchanged by the option's presence.
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { fromBfloat16, roundingBits, toBfloat16 } from "../../src/precision/bfloat16.ts";
import { INT8_BLOCK, type MomentBuffer, momentKey } from "../../src/transforms/compact-state.ts";
import { N, illConditionedQuadratic as quadratic } from "../helpers.ts";

type Compact = { stateDtype?: m.StateDtype; stateSeed?: number };
/** Each transform with compact state, at an lr that trains the quadratic. */
const TRANSFORMS: [string, (o: Compact) => m.AnyTransformation, number][] = [
  ["scaleByAdam", (o) => m.scaleByAdam(o), 0.01],
  ["scaleByLion", (o) => m.scaleByLion(o), 0.01],
  ["trace", (o) => m.trace({ momentum: 0.9, ...o }), 0.002],
  ["scaleByRss", (o) => m.scaleByRss({ initialAccumulatorValue: 0.1, ...o }), 0.1],
  ["scaleByRms", (o) => m.scaleByRms(o), 0.003],
  // centered: in bfloat16 only (int8 is refused, below)
  ["scaleByRms (centered)", (o) => m.scaleByRms({ centered: true, ...o }), 0.003],
];
/** The dtypes each transform takes. */
const dtypesOf = (name: string) =>
  name.includes("centered") ? (["bfloat16"] as const) : (["bfloat16", "int8"] as const);

function train(options: m.ScaleByAdamOptions, steps: number, seed = 1, which = 0) {
  const q = quadratic(seed);
  const p = { x: q.x0.slice() };
  const [, make, lr] = TRANSFORMS[which]!;
  const opt = m.createOptimizer(m.chain(make(options), m.scaleByLearningRate(lr)), p);
  const g = { x: new Float32Array(N) };
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < N; i++) g.x[i] = q.h[i]! * p.x[i]!;
    opt.step(g);
  }
  return { loss: q.loss(p.x), opt, p, q };
}

const bytes = (b: MomentBuffer) =>
  ArrayBuffer.isView(b)
    ? b.byteLength
    : (b as { codes: Uint8Array; scales: Float32Array }).codes.byteLength +
      (b as { scales: Float32Array }).scales.byteLength;

describe("compact Adam state", () => {
  it("bfloat16 and int8 reach within 10 % of float state's loss while float state is far from converged", () => {
    const steps = 100;
    const start = quadratic().loss(quadratic().x0);
    TRANSFORMS.forEach(([name, , lr], which) => {
      const ref = train({}, steps, 1, which).loss;
      expect(ref, `${name} at lr ${lr} trains`).toBeLessThan(start / 3);
      expect(ref, `${name} is far from its minimum, 0`).toBeGreaterThan(1);
      for (const stateDtype of dtypesOf(name)) {
        const r = train({ stateDtype }, steps, 1, which).loss;
        expect(Math.abs(r / ref - 1), `${name} ${stateDtype}: ${r} vs ${ref}`).toBeLessThan(0.1);
      }
    });
  });

  it("stores 2 bytes per moment in bfloat16, 1 + 4/256 in int8, float32 for float64 params with 'float32'", () => {
    const p = { w: new Float32Array(1000), b: new Float64Array(10) };
    const bf = m.scaleByAdam({ stateDtype: "bfloat16" }).init(p);
    // leaves in key order: b, then w
    expect(bf.expAvg.map(bytes)).toEqual([20, 2000]);
    const q = m.scaleByAdam({ stateDtype: "int8", amsgrad: true }).init(p);
    expect(q.expAvgSq.map(bytes)).toEqual([10 + 4, 1000 + 4 * Math.ceil(1000 / INT8_BLOCK)]);
    expect(q.maxExpAvgSq!.map(bytes)).toEqual([10 + 4, 1000 + 4 * Math.ceil(1000 / INT8_BLOCK)]);
    const f = m.scaleByAdam({ stateDtype: "float32" }).init(p);
    expect(f.expAvg.every((b) => b instanceof Float32Array)).toBe(true);
    expect(m.scaleByAdam().init(p).expAvg[0]).toBeInstanceOf(Float64Array);
  });

  it("resumes from a state dict bit for bit, and a failed step changes nothing", () => {
    for (const [stateDtype, which] of [
      ["bfloat16", 0],
      ["int8", 0],
      ["bfloat16", 1],
      ["int8", 2],
      ["bfloat16", 3],
      ["int8", 3],
      ["int8", 4],
      ["bfloat16", 5],
    ] as const) {
      const options = which === 0 ? { stateDtype, amsgrad: true } : { stateDtype };
      const a = train(options, 7, 1, which);
      const saved = JSON.parse(JSON.stringify(a.opt.stateDict())) as m.StateDict;
      const b = train(options, 0, 1, which);
      b.p.x.set(a.p.x);
      b.opt.loadStateDict(saved);
      const g = { x: Float32Array.from(a.p.x, (x, i) => a.q.h[i]! * x) };
      a.opt.step(g);
      b.opt.step(g);
      expect(b.p.x).toEqual(a.p.x);
      expect(b.opt.stateDict()).toEqual(a.opt.stateDict());
      // a link that fails after the moments were written: everything is put back
      let fail = false;
      const failing: m.GradientTransformation<null> = {
        init: () => null,
        update(updates) {
          if (fail) throw new Error("link failed");
          return updates;
        },
      };
      const tx = m.chain(TRANSFORMS[which]![1]({ stateDtype }), failing, m.scaleByLearningRate(0.01));
      const p = { x: Float32Array.from({ length: 100 }, (_, i) => Math.sin(i)) };
      const opt = m.createOptimizer(tx, p);
      opt.step({ x: p.x.slice() });
      const before = JSON.stringify(opt.stateDict());
      const x = p.x.slice();
      fail = true;
      expect(() => opt.step({ x: p.x.map((v) => v * 3) })).toThrow(/link failed/);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
      expect(p.x).toEqual(x);
    }
  });

  it("rounds bfloat16 from its seed: the same seed the same bits, another seed others", () => {
    const run = (stateSeed: number) =>
      JSON.stringify(train({ stateDtype: "bfloat16", stateSeed }, 5).opt.stateDict().state);
    expect(run(3)).toBe(run(3));
    expect(run(3)).not.toBe(run(4));
  });

  it("shows its moments through buffers as float32 values, and refuses an unknown dtype", () => {
    const p = { w: Float32Array.from([1, -2, 3]) };
    const tx = m.scaleByAdam({ stateDtype: "int8" });
    const s = tx.init(p);
    tx.update({ w: Float32Array.from([0.5, -1, 2]) }, s, p);
    const view = m.stateBuffers(tx, s, p);
    // one step from zero: m = 0.1·g, v = 0.001·g² — the block's largest exact, the others within the code's gap
    expect(view.expAvg![0]![2]).toBeCloseTo(0.2, 7);
    expect(view.expAvgSq![0]![2]).toBeCloseTo(0.004, 7);
    expect(Math.abs(view.expAvg![0]![0]! / 0.05 - 1)).toBeLessThan(0.02);
    expect(() => m.scaleByRms({ centered: true, stateDtype: "int8" })).toThrow(
      /scaleByRms: centered with stateDtype "int8" is not supported: s − a²/,
    );
    expect(() => m.scaleByAdam({ stateDtype: "float16" as "int8" })).toThrow(
      /scaleByAdam: stateDtype must be "float32", "bfloat16" or "int8", got "float16"/,
    );
  });
});

describe("opt.stateBytes", () => {
  it("counts the state's bytes per param: 8 for float32 Adam, 4 in bfloat16, 2 + 8/256 in int8", () => {
    const n = 1 << 16;
    const perParam = (options: m.ScaleByAdamOptions) =>
      m.createOptimizer(m.chain(m.scaleByAdam(options), m.scaleByLearningRate(0.01)), {
        w: new Float32Array(n),
      }).stateBytes / n;
    // the count (8 bytes) on top
    expect(perParam({})).toBe(8 + 8 / n);
    expect(perParam({ stateDtype: "bfloat16" })).toBe(4 + 8 / n);
    expect(perParam({ stateDtype: "int8" })).toBe(2 + (2 * 4) / INT8_BLOCK + 8 / n);
    // the fused path's state (views into its arena) counts the same; its gradient buffer does not
    const fused = m.createOptimizer(m.adamw({ lr: 0.01 }), { w: new Float32Array(n) });
    expect(fused.kernel).not.toBe("reference");
    expect(fused.stateBytes / n).toBeCloseTo(8, 3);
  });
});

describe("loadStateDict with convertState", () => {
  it("loads a float32-state checkpoint into bfloat16 and int8 optimizers (and back), saying so; without it, refuses", () => {
    const a = train({}, 20);
    const saved = JSON.parse(JSON.stringify(a.opt.stateDict())) as m.StateDict;
    const floatView = m.stateBuffers(m.scaleByAdam(), a.opt.state[0] as m.ScaleByAdamState, a.p);
    for (const stateDtype of ["bfloat16", "int8"] as const) {
      const b = train({ stateDtype }, 0);
      expect(() => b.opt.loadStateDict(saved)).toThrow(
        new RegExp(
          `state\\.0\\.expAvg\\.0: saved as float32, but this optimizer stores ${stateDtype} \\(stateDtype\\): load with \\{ convertState: true \\}`,
        ),
      );
      const report = b.opt.loadStateDict(saved, { convertState: true });
      expect(report.converted.map((c) => `${c.path}: ${c.from} → ${c.to}`)).toEqual([
        `state.0.expAvg.0: float32 → ${stateDtype}`,
        `state.0.expAvgSq.0: float32 → ${stateDtype}`,
      ]);
      expect(report.differences.map((d) => d.name)).toContain("stateDtype");
      // the moments are the saved ones, to the new storage's precision
      const view = b.opt.buffers;
      for (const name of ["expAvg", "expAvgSq"] as const) {
        const want = floatView[name]![0]!;
        const got = view[name]![0]!;
        const largest = Math.max(...Array.from(want, Math.abs));
        for (let i = 0; i < want.length; i += 97)
          expect(Math.abs(got[i]! - want[i]!), `${stateDtype} ${name}[${i}]`).toBeLessThanOrEqual(
            stateDtype === "bfloat16"
              ? Math.abs(want[i]!) * 2 ** -8
              : largest * 0.01 + Math.abs(want[i]!) * 0.1,
          );
      }
      // and back: a compact checkpoint into a float32 optimizer
      const back = train({}, 0);
      const r = back.opt.loadStateDict(JSON.parse(JSON.stringify(b.opt.stateDict())), { convertState: true });
      expect(r.converted.map((c) => c.to)).toEqual(["float32", "float32"]);
      expect(
        Array.from(
          m.stateBuffers(m.scaleByAdam(), back.opt.state[0] as m.ScaleByAdamState, back.p).expAvg![0]!,
        ),
      ).toEqual(Array.from(view.expAvg![0]!));
    }
  });
});

describe("rounding streams", () => {
  it("trace's stateStream picks the leaf's stream; rmsprop gives its momentum one apart from its average", () => {
    const u = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 1.2345);
    const bits = (stream: number) => {
      const tx = m.trace({ momentum: 0.9, stateDtype: "bfloat16", stateSeed: 7, stateStream: stream });
      const s = tx.init({ w: u });
      tx.update({ w: u.slice() }, s);
      return s.momentumBuffer[0] as Uint16Array;
    };
    // the first step stores b = u: each word is u rounded with its stream's draw, exactly
    const b2 = bits(2);
    const key = momentKey(7, 1, 0, 2);
    for (let j = 0; j < u.length; j++) expect(b2[j]).toBe(toBfloat16(u[j]!, roundingBits(key, j)));
    // another stream, other draws: some words round the other way
    const b0 = bits(0);
    expect(b0.some((w, j) => w !== b2[j])).toBe(true);
    expect(() => m.trace({ momentum: 0.9, stateStream: 4 })).toThrow(/stateStream/);
    expect(() => m.trace({ momentum: 0.9, stateStream: 1.5 })).toThrow(/stateStream/);
    // rmsprop: its square average on stream 0, its momentum on 2 (first step: s = (1 − α)·g², b = g/(√s + ε))
    const g = Float32Array.from({ length: 300 }, (_, i) => Math.cos(i) * 0.37);
    const w = new Float32Array(300);
    const opt = m.createOptimizer(m.rmsprop({ momentum: 0.9, stateDtype: "bfloat16", stateSeed: 7 }), { w });
    opt.step({ w: g });
    const [rms, tr] = opt.state as unknown as [
      { squareAvg: Uint16Array[] },
      { momentumBuffer: Uint16Array[] },
    ];
    const [k0, k2] = [momentKey(7, 1, 0, 0), momentKey(7, 1, 0, 2)];
    for (let j = 0; j < g.length; j++) {
      const sq = toBfloat16((1 - 0.99) * g[j]! * g[j]!, roundingBits(k0, j));
      expect(rms.squareAvg[0]![j]).toBe(sq);
      const u = Math.fround(g[j]! / (Math.sqrt(fromBfloat16(sq)) + 1e-8));
      expect(tr.momentumBuffer[0]![j]).toBe(toBfloat16(u, roundingBits(k2, j)));
    }
  });
});
