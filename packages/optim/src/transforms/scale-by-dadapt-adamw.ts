import {
  checkHyper,
  checkMask,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, paramLeaves, updateLeaves } from "../transform.js";
import type { FloatArray, Mask, Tree } from "../tree.js";
import { maskFor } from "./add-decayed-weights.js";
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByDadaptAdamw`: Optax's `contrib.dadapt_adamw`'s, named as the authors' PyTorch `DAdaptAdam`. */
export interface ScaleByDadaptAdamwOptions {
  /** The schedule multiplier of the step (and of the D estimate), ≥ 0; 1 or a schedule that peaks at 1. Default 1. */
  lr?: Hyper;
  /** (β1, β2) of the underlying Adam, each in [0, 1). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to √v, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Initial (under-)estimate D₀ of the distance to the solution, > 0. Default 1e-6. */
  d0?: number;
  /** Decoupled weight decay λ, ≥ 0 (a number or a schedule): the step adds −lr·D·λ·p. Default 0. */
  weightDecay?: Hyper;
  /** Leaves the decay applies to. Default: all. */
  mask?: Mask;
  /** Name used in error messages. Default "scaleByDadaptAdamw". */
  owner?: string;
}

/** State of `scaleByDadaptAdamw`. */
export interface ScaleByDadaptAdamwState {
  /** Updates applied so far. */
  count: number;
  /** First moment of the step-scaled gradient η·g (the step itself, before dividing by √v). */
  expAvg: FloatArray[];
  /** Second moment of the raw gradient. */
  expAvgSq: FloatArray[];
  /** s: the running sum of step-scaled gradients whose l1 norm is the estimate's denominator. */
  s: FloatArray[];
  /** The current estimate D of the distance to the solution (never decreases). */
  d: number;
  /** The estimate's numerator: the running sum of η·⟨g, s / (√v + ε)⟩. */
  dNumerator: number;
}

/**
 * D-Adaptation for AdamW (Defazio & Mishchenko 2023, "Learning-Rate-Free Learning by D-Adaptation",
 * ICML; the authors' facebookresearch/dadaptation `DAdaptAdam`; Optax's `contrib.dadapt_adamw`,
 * which this follows step for step): Adam whose step size D is an estimate, grown from the
 * gradients, of the distance from the start to the solution. With k the update count, sched = lr(k),
 * bc = √(1−β2^(k+1))/(1−β1^(k+1)), η = D·sched·bc and b = √β2:
 *
 *     r ← b·r + (1−b)·η·⟨g, s / (√v + ε)⟩      (s and v before this update)
 *     m ← β1·m + (1−β1)·η·g    v ← β2·v + (1−β2)·g²    s ← b·s + (1−b)·η·g
 *     D ← max(D, r / ((1−b)·‖s‖₁))              u = −m / (√v + ε) − η·λ·p
 *
 * The output is the whole step, lr and decay included (the estimate needs the lr, so no
 * `scaleByLearningRate` follows it). Unlike Optax (whose D becomes NaN), an update whose gradients
 * are all zero leaves D as it was.
 */
export function scaleByDadaptAdamw(
  options: ScaleByDadaptAdamwOptions = {},
): GradientTransformation<ScaleByDadaptAdamwState> {
  const owner = ownerOption(options, "scaleByDadaptAdamw");
  checkOptions(owner, options, ["lr", "betas", "eps", "d0", "weightDecay", "mask", "owner"]);
  const lr = checkHyper(owner, "lr", options.lr ?? 1, "[0, inf)");
  const betas = checkBetas(owner, options.betas ?? [0.9, 0.999]);
  // the bias correction and the D estimate assume constant betas
  const b1 = checkNumber(owner, "betas[0]", betas[0], "[0, 1)");
  const b2 = betas[1];
  const sb2 = Math.sqrt(b2);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const d0 = checkNumber(owner, "d0", options.d0 ?? 1e-6, "(0, inf)");
  const weightDecay = checkHyper(owner, "weightDecay", options.weightDecay ?? 0, "[0, inf)");
  const { mask } = options;
  checkMask(owner, "mask", mask);
  return {
    config: (state) => ({
      lr: hyperAt(lr, state.count),
      "betas[0]": b1,
      "betas[1]": b2,
      eps,
      d0,
      weightDecay: hyperAt(weightDecay, state.count),
      d: state.d,
    }),
    init: (params) => ({
      count: 0,
      expAvg: buffersLike(params),
      expAvgSq: buffersLike(params),
      s: buffersLike(params),
      d: d0,
      dNumerator: 0,
    }),
    update(updates: Tree, state, params) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const ps = paramLeaves(owner, params, us.length);
      const on = maskFor(owner, mask, params!);
      // every check before the first write
      const sched = valueAt(owner, "lr", lr, state.count, "[0, inf)");
      const wd = valueAt(owner, "weightDecay", weightDecay, state.count, "[0, inf)");
      const k = state.count + 1;
      const bc = Math.sqrt(1 - b2 ** k) / (1 - b1 ** k);
      const dlr = state.d * sched * bc;
      let dot = 0;
      let sNorm = 0;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        const s = state.s[i]!;
        let leafDot = 0;
        let leafNorm = 0;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          // the old s and v weigh this gradient
          leafDot += g * (s[j]! / (Math.sqrt(v[j]!) + eps));
          m[j] = b1 * m[j]! + (1 - b1) * dlr * g;
          v[j] = b2 * v[j]! + (1 - b2) * g * g;
          s[j] = sb2 * s[j]! + (1 - sb2) * dlr * g;
          leafNorm += Math.abs(s[j]!);
        }
        dot += leafDot;
        sNorm += leafNorm;
      }
      state.dNumerator = sb2 * state.dNumerator + (1 - sb2) * dlr * dot;
      if (sNorm > 0) state.d = Math.max(state.d, state.dNumerator / ((1 - sb2) * sNorm));
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        const lam = on[i] ? wd : 0;
        for (let j = 0; j < u.length; j++) u[j] = -lam * dlr * p[j]! - m[j]! / (Math.sqrt(v[j]!) + eps);
      }
      state.count = k;
      return updates;
    },
  };
}
