import {
  type AnyTransformation,
  adam,
  adaptiveGradClip,
  chain,
  clipByBlockNorm,
  clipByGlobalNorm,
  clipByValue,
  createOptimizer,
  type ScaleByAdamState,
  scaleByAdam,
  scaleByLearningRate,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

const v = (...x: number[]) => Float64Array.from(x);
const apply = (
  tx: { init(p: Tree): unknown; update(u: Tree, s: never, p?: Tree): Tree },
  u: Tree,
  p: Tree = u,
) => tx.update(u, tx.init(p) as never, p);

describe("clipByGlobalNorm (clip_grad_norm_)", () => {
  it("scales every leaf by maxNorm/(‖g‖ + 1e-6) when over, not at all when under", () => {
    const tx = clipByGlobalNorm(1);
    const out = apply(tx, { a: v(3, 0), b: v(0, 4) }) as { a: Float64Array; b: Float64Array };
    const coef = 1 / (5 + 1e-6);
    expect(Array.from(out.a)).toEqual([3 * coef, 0]);
    expect(Array.from(out.b)).toEqual([0, 4 * coef]);
    const small = apply(tx, { a: v(0.3, 0), b: v(0, 0.4) }) as { a: Float64Array };
    expect(Array.from(small.a)).toEqual([0.3, 0]);
  });
  it("p-norms: the norm of the per-leaf norms; ∞ is the largest magnitude", () => {
    const s = clipByGlobalNorm(1e9, { normType: 1 }).init(v());
    clipByGlobalNorm(1e9, { normType: 1 }).update({ a: v(1, -2), b: v(3) }, s);
    expect(s.totalNorm).toBe(6);
    const si = clipByGlobalNorm(1, { normType: Infinity }).init(v());
    const out = clipByGlobalNorm(1, { normType: Infinity }).update({ a: v(1, -4), b: v(3) }, si) as {
      a: Float64Array;
    };
    expect(si.totalNorm).toBe(4);
    expect(out.a[1]).toBeCloseTo(-1, 6);
    const s3 = clipByGlobalNorm(1e9, { normType: 3 }).init(v());
    clipByGlobalNorm(1e9, { normType: 3 }).update({ a: v(1, 2), b: v(2) }, s3);
    expect(s3.totalNorm).toBeCloseTo(17 ** (1 / 3), 14);
  });
  it("a non-finite norm: PyTorch's NaN/zero scaling, or a clear error that changes nothing", () => {
    const g = { a: v(Number.POSITIVE_INFINITY, 1) };
    const out = apply(clipByGlobalNorm(1), g) as { a: Float64Array };
    expect(Number.isNaN(out.a[0]!)).toBe(true); // ∞·0
    expect(out.a[1]).toBe(0);
    const h = { a: v(Number.NaN, 1) };
    expect(() => apply(clipByGlobalNorm(1, { errorIfNonfinite: true }), h)).toThrow(
      /total 2-norm of the gradients is NaN; nothing was changed/,
    );
    expect(h.a[1]).toBe(1);
  });
  it("checks its arguments", () => {
    expect(() => clipByGlobalNorm(-1)).toThrow(/maxNorm = -1 is outside/);
    expect(() => clipByGlobalNorm(1, { normType: 0 })).toThrow(/normType must be a number > 0 or Infinity/);
  });
});

describe("clipByValue, clipByBlockNorm, adaptiveGradClip", () => {
  it("clipByValue clamps each coordinate; NaN passes", () => {
    const out = apply(clipByValue(1), { a: v(-3, 0.5, 2, Number.NaN) }) as { a: Float64Array };
    expect(Array.from(out.a)).toEqual([-1, 0.5, 1, Number.NaN]);
  });
  it("clipByBlockNorm clips each leaf on its own", () => {
    const out = apply(clipByBlockNorm(1), { a: v(3, 4), b: v(0.1) }) as { a: Float64Array; b: Float64Array };
    expect(out.a[0]).toBeCloseTo(0.6, 6);
    expect(out.b[0]).toBe(0.1);
  });
  it("adaptiveGradClip clips each output row against clipping·max(‖W_row‖, eps)", () => {
    const params = { w: { data: v(1, 0, 0, 0), shape: [2, 2] } };
    const grads = { w: { data: v(0.05, 0, 3, 4), shape: [2, 2] } };
    const out = adaptiveGradClip(0.1).update(grads, null, params) as { w: { data: Float64Array } };
    // row 0: ‖G‖ = 0.05 ≤ 0.1·1 → untouched; row 1: ‖W‖ = 0 → bound 0.1·1e-3, ‖G‖ = 5 → scaled to 1e-4
    expect(out.w.data[0]).toBe(0.05);
    expect(Math.hypot(out.w.data[2]!, out.w.data[3]!)).toBeCloseTo(1e-4, 12);
    const flat = adaptiveGradClip(0.5).update({ b: v(3, 4) }, null, { b: v(0, 2) }) as { b: Float64Array };
    expect(Math.hypot(flat.b[0]!, flat.b[1]!)).toBeCloseTo(1, 12); // 1-D: one unit, bound 0.5·2
  });
});

describe("placement: clip before the moments vs after the update", () => {
  // A stream of ordinary gradients with one 1000× spike, as in the seeds' story.
  function run(where: "none" | "before" | "after") {
    const params = { w: v(0, 0) };
    const core: AnyTransformation[] = [scaleByAdam({ betas: [0.9, 0.999] }), scaleByLearningRate(0.01)];
    const tx: AnyTransformation =
      where === "none"
        ? chain(...core)
        : where === "before"
          ? chain(clipByGlobalNorm(1), ...core)
          : chain(...core, clipByGlobalNorm(0.01));
    const opt = createOptimizer(tx, params);
    const steps: number[] = [];
    for (let t = 0; t < 60; t++) {
      const g = t === 20 ? 1000 : 0.5 + 0.1 * Math.sin(t);
      const before = params.w[0]!;
      opt.step({ w: v(g, 0.5) });
      steps.push(params.w[0]! - before);
    }
    const adamState = (opt.state as unknown[]).find(
      (s) => s !== null && typeof s === "object" && "expAvgSq" in (s as object),
    ) as ScaleByAdamState;
    return { v: adamState.expAvgSq[0]![0]!, steps };
  }
  it("clip-before keeps the spike out of v; clip-after leaves v contaminated but bounds the step", () => {
    const none = run("none");
    const before = run("before");
    const after = run("after");
    // the spike inflates v by orders of magnitude unless it was clipped first
    expect(none.v).toBeGreaterThan(100);
    expect(after.v).toBeCloseTo(none.v, 10);
    expect(before.v).toBeLessThan(1);
    // after the spike, the contaminated v shrinks Adam's steps for a long time …
    const late = (r: { steps: number[] }) => Math.abs(r.steps[50]!);
    expect(late(none)).toBeLessThan(late(before) / 5);
    expect(late(after)).toBeLessThan(late(before) / 5);
    // … while clip-after does bound the step at the spike itself
    expect(Math.abs(after.steps[20]!)).toBeLessThanOrEqual(0.01 / Math.SQRT2 + 1e-9);
  });
  it("the two placements give different trajectories", () => {
    expect(run("before").steps).not.toEqual(run("after").steps);
  });
  it("adam keeps working downstream of a clip in a chain", () => {
    const params = { w: v(5) };
    const opt = createOptimizer(chain(clipByGlobalNorm(1), adam({ lr: 0.1 })), params);
    for (let t = 0; t < 200; t++) opt.step({ w: v(2 * params.w[0]!) });
    expect(Math.abs(params.w[0]!)).toBeLessThan(0.2);
  });
});
