/**
 * Noisy linear regression with rare exploding gradients, for the gradient-clipping experiments.
 *
 * Data: n points x ~ N(0, I_d), y = x·w* + 0.5·ξ, w* ~ N(0, I); loss L(w) = (1/2n)·Σ (x·w − y)².
 * Each step draws a minibatch of `batch` indices (from a stream that does not depend on w, so every
 * optimizer sees the same batches); at the steps listed in `spikes` the minibatch gradient is
 * multiplied by `spikeScale` (an exploding batch). Runs record the full-batch loss, the update, and —
 * from scaleByAdam's state — m, v̂ and an EMA of the true full-batch gradient with Adam's β1 (what m
 * would estimate without noise or clipping), for bias measurements.
 */
import { createOptimizer, type GradientTransformation, normal, rng } from "momenta-optim";
import { norm2 } from "./streams.ts";

export interface SpikyRegression {
  d: number;
  loss(w: ArrayLike<number>): number;
  /** ∇L(w) into `out`; returns L(w). */
  fullGradient(w: ArrayLike<number>, out: Float64Array): number;
  batchGradient(w: ArrayLike<number>, idx: ArrayLike<number>, out: Float64Array): void;
  n: number;
}

export function spikyRegression(seed: number, n = 128, d = 10): SpikyRegression {
  const gauss = normal(rng(seed));
  const wStar = Float64Array.from({ length: d }, () => gauss());
  const X = Array.from({ length: n }, () => Float64Array.from({ length: d }, () => gauss()));
  const y = X.map((x) => x.reduce((s, v, j) => s + v * wStar[j]!, 0) + 0.5 * gauss());
  const residual = (w: ArrayLike<number>, i: number) => {
    let r = -y[i]!;
    const x = X[i]!;
    for (let j = 0; j < d; j++) r += x[j]! * w[j]!;
    return r;
  };
  /** The mean gradient over the points `idx` into `out`; returns their mean loss. */
  const accumulate = (w: ArrayLike<number>, idx: ArrayLike<number>, out: Float64Array) => {
    out.fill(0);
    let loss = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const r0 = residual(w, i);
      loss += (r0 * r0) / (2 * idx.length);
      const r = r0 / idx.length;
      for (let j = 0; j < d; j++) out[j]! += r * X[i]![j]!;
    }
    return loss;
  };
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return {
    d,
    n,
    loss(w) {
      let s = 0;
      for (let i = 0; i < n; i++) s += residual(w, i) ** 2;
      return s / (2 * n);
    },
    fullGradient: (w, out) => accumulate(w, all, out),
    batchGradient: (w, idx, out) => {
      accumulate(w, idx, out);
    },
  };
}

export interface SpikyRunOptions {
  steps: number;
  batch: number;
  spikes: readonly number[];
  spikeScale: number;
  /** Seed of the minibatch stream. */
  seed: number;
  beta1?: number;
  beta2?: number;
}

export interface SpikyTrace {
  /** L(w_t), the full-batch loss at the params the step's gradient was taken at. */
  loss: Float64Array;
  /** ‖raw (possibly spiked) minibatch gradient‖ per step. */
  gradNorm: Float64Array;
  /** ‖update‖ per step. */
  updateNorm: Float64Array;
  /** ‖m̂/√v̂‖ per step (Adam's direction before any clip after it). */
  directionNorm: Float64Array;
  /** Median over coordinates of v̂, per step. */
  vHatMedian: Float64Array;
  /** ⟨m, m*⟩/‖m*‖² and ‖m − m*‖/‖m*‖ per step, m* the β1-EMA of the full-batch gradient. */
  projection: Float64Array;
  relError: Float64Array;
  /** ‖m*‖² per step (the weight of each step in an aggregate bias). */
  mStarSq: Float64Array;
}

export function runSpiky(
  problem: SpikyRegression,
  tx: GradientTransformation<unknown>,
  o: SpikyRunOptions,
): SpikyTrace {
  const { d } = problem;
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const w = new Float64Array(d);
  const g = new Float64Array(d);
  const full = new Float64Array(d);
  const mStar = new Float64Array(d);
  const opt = createOptimizer(tx, { w }, { kernel: "reference" });
  const { expAvg, expAvgSq } = opt.buffers;
  if (!expAvg || !expAvgSq) throw new TypeError("spiky regression: the optimizer must keep Adam's moments");
  const next = rng(o.seed);
  const spikes = new Set(o.spikes);
  const idx = new Int32Array(o.batch);
  const out: SpikyTrace = {
    loss: new Float64Array(o.steps),
    gradNorm: new Float64Array(o.steps),
    updateNorm: new Float64Array(o.steps),
    directionNorm: new Float64Array(o.steps),
    vHatMedian: new Float64Array(o.steps),
    projection: new Float64Array(o.steps),
    relError: new Float64Array(o.steps),
    mStarSq: new Float64Array(o.steps),
  };
  for (let t = 0; t < o.steps; t++) {
    for (let k = 0; k < o.batch; k++) idx[k] = Math.floor(next() * problem.n);
    problem.batchGradient(w, idx, g);
    out.loss[t] = problem.fullGradient(w, full);
    if (spikes.has(t)) for (let j = 0; j < d; j++) g[j]! *= o.spikeScale;
    out.gradNorm[t] = norm2(g);
    const before = w.slice();
    opt.step({ w: g });
    out.updateNorm[t] = norm2(w.map((x, j) => x - before[j]!));
    const m = expAvg[0]!;
    const v = expAvgSq[0]!;
    const c = opt.stepCount;
    const bc1 = 1 - b1 ** c;
    const bc2 = 1 - b2 ** c;
    const vHat = Float64Array.from(v, (x) => x / bc2).sort();
    out.vHatMedian[t] = vHat[d >> 1]!;
    let dir = 0;
    let dot = 0;
    let ss = 0;
    let err = 0;
    for (let j = 0; j < d; j++) {
      mStar[j] = b1 * mStar[j]! + (1 - b1) * full[j]!;
      dir += (m[j]! / bc1 / Math.sqrt(v[j]! / bc2)) ** 2;
      dot += m[j]! * mStar[j]!;
      ss += mStar[j]! ** 2;
      err += (m[j]! - mStar[j]!) ** 2;
    }
    out.directionNorm[t] = Math.sqrt(dir);
    out.projection[t] = dot / ss;
    out.relError[t] = Math.sqrt(err / ss);
    out.mStarSq[t] = ss;
  }
  return out;
}

export interface SpikeResponse {
  /** Max loss in the 50 steps from the spike over the mean loss of the 100 steps before it, minus 1. */
  jump: number;
  /** Mean over the `window` steps from the spike of loss / pre-spike loss − 1. */
  excess: number;
  /** Median v̂ 100 steps after the spike over the median v̂ just before it. */
  vInflation: number;
  /** Median ‖m − m*‖/‖m*‖ over the 30 steps after the spike, over the same in quiet steps. */
  contamination: number;
  /** ‖update‖ at the spike over the median ‖update‖ of the 100 steps before it. */
  updateJump: number;
}

const med = (a: ArrayLike<number>) => {
  const s = Float64Array.from(a).sort();
  return s.length === 0 ? Number.NaN : s[s.length >> 1]!;
};
const avg = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;

/** Steps not within `guard` steps after any spike, from `from` on (the quiet part of a run). */
export function quietSteps(steps: number, spikes: readonly number[], guard: number, from = 0): number[] {
  const out: number[] = [];
  for (let t = from; t < steps; t++) if (!spikes.some((s) => t >= s && t < s + guard)) out.push(t);
  return out;
}

/** The response to each spike (see SpikeResponse), averaged over the spikes. */
export function spikeResponse(tr: SpikyTrace, spikes: readonly number[], window: number): SpikeResponse {
  const quiet = quietSteps(tr.loss.length, spikes, window, 100).map((t) => tr.relError[t]!);
  const qErr = med(quiet);
  const per = spikes.map((s) => {
    const pre = avg(tr.loss.subarray(s - 100, s));
    return {
      jump: Math.max(...tr.loss.subarray(s, s + 50)) / pre - 1,
      excess: avg(tr.loss.subarray(s, s + window)) / pre - 1,
      vInflation: tr.vHatMedian[s + 100]! / tr.vHatMedian[s - 1]!,
      contamination: med(tr.relError.subarray(s + 1, s + 31)) / qErr,
      updateJump: tr.updateNorm[s]! / med(tr.updateNorm.subarray(s - 100, s)),
    };
  });
  const mean = (k: keyof SpikeResponse) => avg(per.map((p) => p[k]));
  return {
    jump: mean("jump"),
    excess: mean("excess"),
    vInflation: mean("vInflation"),
    contamination: mean("contamination"),
    updateJump: mean("updateJump"),
  };
}

/**
 * The moments' bias in the quiet steps (no spike in the last `guard` steps): Σ⟨m, m*⟩/Σ‖m*‖² is
 * recovered from the per-step projections weighted by ‖m*‖², i.e. the scale of m against the true
 * mean gradient's EMA (1 = unbiased, < 1 = shrunk).
 */
export function quietScale(tr: SpikyTrace, spikes: readonly number[], guard: number): number {
  const { mStarSq } = tr;
  let num = 0;
  let den = 0;
  for (const t of quietSteps(tr.loss.length, spikes, guard)) {
    num += tr.projection[t]! * mStarSq[t]!;
    den += mStarSq[t]!;
  }
  return num / den;
}
