import {
  checkHyper,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, paramLeaves, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByFtrl`: Keras's `Ftrl`'s, in camelCase. */
export interface ScaleByFtrlOptions {
  /** Learning rate α, ≥ 0: a number or a schedule of the update count (0: a step that learns nothing). Default 1e-3. */
  lr?: Hyper;
  /** The power of the accumulator in the per-coordinate rate, ≤ 0 (−½: AdaGrad-like). Default −0.5. */
  lrPower?: number;
  /** The value the accumulator n starts at, ≥ 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** L1 strength λ1, ≥ 0: coordinates whose |z| ≤ λ1 are exactly 0 (sparsity). Default 0. */
  l1RegularizationStrength?: number;
  /** L2 strength λ2, ≥ 0 (the proximal term's). Default 0. */
  l2RegularizationStrength?: number;
  /** L2 shrinkage, ≥ 0: 2·λ·p added to the gradient z accumulates (not to n). Default 0. */
  l2ShrinkageRegularizationStrength?: number;
  /** β, ≥ 0: adds β/(2·lr) to λ2 (the paper's β in its per-coordinate rate). Default 0. */
  beta?: number;
  /** Name used in error messages. Default "scaleByFtrl". */
  owner?: string;
}

/** State of `scaleByFtrl`. */
export interface ScaleByFtrlState {
  /** Updates applied so far (the schedule's count). */
  count: number;
  /** n: the running sum of squared gradients, from `initialAccumulatorValue`. */
  accumulator: FloatArray[];
  /** z: the accumulated linear term whose clipped excess sets the params. */
  linear: FloatArray[];
}

/**
 * FTRL-Proximal (McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches", KDD; Keras's
 * `Ftrl`, which this follows op for op): follow-the-regularized-leader with per-coordinate rates,
 * whose L1 term sets coordinates exactly to 0. With p = −lrPower, λ2' = λ2 + β/(2·lr):
 *
 *     n' = n + g²        z ← z + (g + 2·λs·w) − ((n'^p − n^p) / lr)·w
 *     w' = (clip(z, −λ1, λ1) − z) / (n'^p / lr + 2·λ2')     n ← n'
 *
 * The params are *set* to w', so the update this returns is w' − w (the whole step: no
 * `scaleByLearningRate` follows it). Where the denominator is 0 (n starting at 0, no gradient yet and
 * λ2' = 0) the param keeps its value, where Keras's becomes NaN; at lr 0 (a warmup's start) the step
 * changes no param and no state but the count, where Keras's divides by 0.
 */
export function scaleByFtrl(options: ScaleByFtrlOptions = {}): GradientTransformation<ScaleByFtrlState> {
  const owner = ownerOption(options, "scaleByFtrl");
  checkOptions(owner, options, [
    "lr",
    "lrPower",
    "initialAccumulatorValue",
    "l1RegularizationStrength",
    "l2RegularizationStrength",
    "l2ShrinkageRegularizationStrength",
    "beta",
    "owner",
  ]);
  const lr = checkHyper(owner, "lr", options.lr ?? 1e-3, "[0, inf)");
  const lrPower = checkNumber(owner, "lrPower", options.lrPower ?? -0.5, "(-inf, 0]");
  const init = checkNumber(
    owner,
    "initialAccumulatorValue",
    options.initialAccumulatorValue ?? 0.1,
    "[0, inf)",
  );
  const l1 = checkNumber(
    owner,
    "l1RegularizationStrength",
    options.l1RegularizationStrength ?? 0,
    "[0, inf)",
  );
  const l2 = checkNumber(
    owner,
    "l2RegularizationStrength",
    options.l2RegularizationStrength ?? 0,
    "[0, inf)",
  );
  const shrink = checkNumber(
    owner,
    "l2ShrinkageRegularizationStrength",
    options.l2ShrinkageRegularizationStrength ?? 0,
    "[0, inf)",
  );
  const beta = checkNumber(owner, "beta", options.beta ?? 0, "[0, inf)");
  const power = -lrPower;
  return {
    config: (state) => ({
      lr: hyperAt(lr, state.count),
      lrPower,
      initialAccumulatorValue: init,
      l1RegularizationStrength: l1,
      l2RegularizationStrength: l2,
      l2ShrinkageRegularizationStrength: shrink,
      beta,
    }),
    init: (params) => ({ count: 0, accumulator: buffersLike(params, init), linear: buffersLike(params) }),
    buffers: (state) => ({ accumulator: state.accumulator, linear: state.linear }),
    update(updates: Tree, state, params) {
      const us = updateLeaves(owner, updates, state.accumulator);
      const ps = paramLeaves(owner, params, us.length);
      // every check before the first write
      const rate = valueAt(owner, "lr", lr, state.count, "[0, inf)");
      if (rate === 0) {
        // FTRL divides by the lr: at 0 (a warmup's first step) nothing is learnt, nothing moves
        for (const u of us) u.fill(0);
        state.count += 1;
        return updates;
      }
      const l2r = l2 + beta / (2 * rate);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const w = ps[i]!;
        const n = state.accumulator[i]!;
        const z = state.linear[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          const p = w[j]!;
          const grad = g + 2 * shrink * p;
          const nNew = n[j]! + g * g;
          const nNewP = nNew ** power;
          z[j] = z[j]! + (grad - ((nNewP - n[j]! ** power) / rate) * p);
          const quadratic = nNewP / rate + 2 * l2r;
          const zj = z[j]!;
          const clipped = Math.min(Math.max(zj, -l1), l1);
          n[j] = nNew;
          u[j] = quadratic === 0 ? 0 : (clipped - zj) / quadratic - p;
        }
      }
      state.count += 1;
      return updates;
    },
  };
}
