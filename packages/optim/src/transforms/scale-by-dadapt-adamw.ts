import { checkOptions, ownerOption } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import type { Tree } from "../tree.js";
import {
  checkDistanceEstimate,
  DISTANCE_ESTIMATE_OPTIONS,
  type DistanceEstimateOptions,
  type DistanceEstimateState,
} from "./distance-estimate.js";

/** Options of `scaleByDadaptAdamw`: Optax's `contrib.dadapt_adamw`'s, named as the authors' PyTorch `DAdaptAdam`. */
export interface ScaleByDadaptAdamwOptions extends DistanceEstimateOptions {}

/**
 * State of `scaleByDadaptAdamw`: m is the first moment of η·g (the step before dividing by √v), v the
 * second moment of the raw gradient, and the numerator the running sum of η·⟨g, s / (√v + ε)⟩.
 */
export interface ScaleByDadaptAdamwState extends DistanceEstimateState {}

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
  checkOptions(owner, options, [...DISTANCE_ESTIMATE_OPTIONS]);
  const { b1, b2, eps, config, initState, begin } = checkDistanceEstimate(owner, options);
  const sb2 = Math.sqrt(b2);
  return {
    config,
    init: initState,
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq, s: state.s }),
    update(updates: Tree, state, params) {
      const { us, ps, on, wd, dlr } = begin(updates, state, params); // every check before the first write
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
      state.count += 1;
      return updates;
    },
  };
}
