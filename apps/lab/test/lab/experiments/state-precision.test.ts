import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import {
  ARMS,
  type Arm,
  CASES,
  type Case,
  experiment,
  judgeStatePrecision,
  quadratic,
  runQuadratic,
} from "../../../src/lab/experiments/state-precision.ts";
import { scaleByAdamLinearInt8V } from "../../../src/lab/problems/linear-int8-adam.ts";
import { checkSmoke } from "./nn-machinery.ts";

describe("state-precision (smoke)", () => {
  it("runs with finite JSON-safe metrics, figures with data, deterministically, leaking no tensors", async () => {
    const r = await checkSmoke(experiment, "state-precision", [
      "256 training",
      "784 → 16",
      "conv 5×5 × 2",
      "linear 8-bit v",
    ]);
    const bytes = r.metrics.bytesPerParam as Record<Arm, number>;
    // Adam's two moments: 8 B/param in float32, 4 in bfloat16, 2 + 8/256 in int8, 4 + 1 + 4/256 linear
    expect(bytes.float32).toBeCloseTo(8, 1);
    expect(bytes.bfloat16).toBeCloseTo(4, 1);
    expect(bytes.int8).toBeLessThanOrEqual(2.25);
    expect(bytes["linear 8-bit v"]).toBeCloseTo(5.0, 0);
  }, 60000);
});

const measurements = (o: {
  acc?: Partial<Record<Arm, number>>;
  cnn?: Partial<Record<Arm, number>>;
  ratio?: Partial<Record<Arm, number>>;
}) => {
  const net = (d?: Partial<Record<Arm, number>>) =>
    Object.fromEntries(ARMS.map((a) => [a, [0.9 + (d?.[a] ?? 0), 0.91 + (d?.[a] ?? 0)]])) as Record<
      Arm,
      number[]
    >;
  return {
    accuracy: { MLP: net(o.acc), ...(o.cnn ? { CNN: net(o.cnn) } : {}) },
    ratio: Object.fromEntries(
      CASES.map((c) => [c, Object.fromEntries(ARMS.map((a) => [a, o.ratio?.[a] ?? 1]))]),
    ) as Record<Case, Record<Arm, number>>,
  };
};

describe("judgeStatePrecision", () => {
  it("holds when bfloat16 and int8 keep up and the linear code fails", () => {
    const j = judgeStatePrecision(measurements({ acc: { "linear 8-bit v": -0.5 }, ratio: { int8: 1.05 } }));
    expect(j.verdict).toBe("holds");
    expect(j.deciding!.value).toBeCloseTo(0, 9);
    // the CNN counts as the MLP does: a linear v that fails there only (−30 pp) is a failure
    const k = judgeStatePrecision(measurements({ cnn: { "linear 8-bit v": -0.3 } }));
    expect(k.verdict).toBe("holds");
    expect(k.reason).toContain("CNN bfloat16 +0 pp, int8 +0 pp, linear 8-bit v -30 pp");
    // −0.3 pp is no failure
    expect(judgeStatePrecision(measurements({ cnn: { "linear 8-bit v": -0.003 } })).verdict).toMatch(
      /^holds only when the 8-bit code's shape/,
    );
  });
  it("holds only at 16 bits when int8 misses by more than 0.5 pp (on either net) or 10 % of a loss", () => {
    for (const o of [
      { acc: { int8: -0.006 } },
      { cnn: { int8: 0.006 } },
      { ratio: { int8: 1.2, "linear 8-bit v": Number.NaN } },
    ])
      expect(judgeStatePrecision(measurements({ acc: { "linear 8-bit v": -0.9 }, ...o })).verdict).toBe(
        "holds only when the state keeps 16 bits (bfloat16)",
      );
  });
  it("does not hold when bfloat16 misses", () => {
    expect(judgeStatePrecision(measurements({ acc: { bfloat16: 0.006 } })).verdict).toBe("does not hold");
    expect(judgeStatePrecision(measurements({ cnn: { bfloat16: -0.006 } })).verdict).toBe("does not hold");
  });
  it("says so when the linear code keeps up too", () => {
    expect(judgeStatePrecision(measurements({})).verdict).toMatch(/^holds only when the 8-bit code's shape/);
  });
});

describe("the naive linear 8-bit v", () => {
  it("is Adam's scaling when v is one value per block, and reads v below max/510 as 0", () => {
    const g = { x: Float32Array.from({ length: 300 }, (_, i) => (i % 2 ? 0.5 : -0.5)) };
    const u = m
      .chain(scaleByAdamLinearInt8V())
      .update({ x: g.x.slice() }, m.chain(scaleByAdamLinearInt8V()).init(g)) as { x: Float32Array };
    // first step: m̂ = g, v̂ = g² exactly on the code (every v is the block's largest): u = g/(|g| + ε)
    for (let i = 0; i < 300; i++) expect(u.x[i]).toBeCloseTo(Math.sign(g.x[i]!), 6);
    // one gradient 100× the rest: v 10⁴× theirs, below 1/510 of the block's scale → 0 → u = g/ε
    const h = { x: new Float32Array(256).fill(1e-3) };
    h.x[0] = 0.1;
    const tx = scaleByAdamLinearInt8V();
    const w = tx.update({ x: h.x.slice() }, tx.init(h)) as { x: Float32Array };
    expect(w.x[0]).toBeCloseTo(1, 6);
    expect(w.x[1]).toBeCloseTo(1e-3 / 1e-8, -2);
  });
});

describe("the quadratics", () => {
  it("v-scar: the linear v follows float32 state until the spike, then falls apart; int8 does not", () => {
    const q = quadratic("v-scar", 1024, 5);
    const f = runQuadratic(q, "float32", 30, 5);
    const lin = runQuadratic(q, "linear 8-bit v", 30, 5);
    const q8 = runQuadratic(q, "int8", 30, 5);
    // steps 1–9: one octave of curvature in each block, which a linear code holds
    for (let t = 0; t < 9; t++) expect(Math.abs(lin[t]! / f[t]! - 1)).toBeLessThan(0.05);
    expect(!(lin.at(-1)! < 10 * f.at(-1)!)).toBe(true);
    expect(Math.abs(q8.at(-1)! / f.at(-1)! - 1)).toBeLessThan(0.1);
  });
  it("curvatures over 4 decades in every block of 256", () => {
    const q = quadratic("4 decades of curvature", 4096, 1);
    for (let b = 0; b < 4096; b += 256) {
      const h = Array.from(q.h.subarray(b, b + 256));
      expect(Math.max(...h) / Math.min(...h)).toBeGreaterThan(1e3);
    }
  });
});
