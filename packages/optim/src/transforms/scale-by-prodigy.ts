import { checkBoolean, checkNumber, checkOptions, ownerOption } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { type FloatArray, leavesOf, type Tree } from "../tree.js";
import {
  checkDistanceEstimate,
  DISTANCE_ESTIMATE_OPTIONS,
  type DistanceEstimateOptions,
  type DistanceEstimateState,
} from "./distance-estimate.js";

/** Options of `scaleByProdigy`: Optax's `contrib.prodigy`'s, named as the authors' PyTorch `Prodigy`. */
export interface ScaleByProdigyOptions extends DistanceEstimateOptions {
  /** Decay of the D estimate's running sums, in [0, 1). Default √β2. */
  beta3?: number;
  /** Multiplier of every new D estimate, > 0. Default 1. */
  dCoef?: number;
  /** Leave lr out of the D estimate's sum of gradients (the authors' fix for warmup). Default false. */
  safeguardWarmup?: boolean;
}

/**
 * State of `scaleByProdigy`: m and v are the moments of the D-scaled gradient D·g, the numerator the
 * weighted running sum of ⟨g, x₀ − x⟩.
 */
export interface ScaleByProdigyState extends DistanceEstimateState {
  /** The params at the first update (x₀), the origin of the distance D estimates. */
  p0: FloatArray[];
}

/**
 * Prodigy (Mishchenko & Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * ICML; the authors' konstmish/prodigy; Optax's `contrib.prodigy`, which this follows step for step):
 * Adam whose step size is D, an estimate of the distance from the start to the solution, grown as
 * the gradients show it. With k the update count, sched = lr(k), bc = √(1−β2^(k+1))/(1−β1^(k+1)) and
 * η = D·sched·bc:
 *
 *     m ← β1·m + (1−β1)·D·g          v ← β2·v + (1−β2)·D²·g²
 *     s ← β3·s + η·D·g / D₀          r ← β3·r + (D/D₀)·η·⟨g, x₀ − x⟩
 *     D ← max(D, dCoef · r / ‖s‖₁)   u = −η·(m / (√v + D·ε) + λ·p)
 *
 * (safeguardWarmup: `s ← β3·s + D·D·g / D₀`, sched left out). The output is the whole step, lr and
 * decay included — the estimate needs the lr, so no `scaleByLearningRate` follows it. The new D
 * enters the step only through ε, as in Optax. Unlike Optax (whose D becomes NaN), an update whose
 * gradients are all zero leaves D as it was: ‖s‖₁ = 0 estimates nothing.
 */
export function scaleByProdigy(
  options: ScaleByProdigyOptions = {},
): GradientTransformation<ScaleByProdigyState> {
  const owner = ownerOption(options, "scaleByProdigy");
  checkOptions(owner, options, [...DISTANCE_ESTIMATE_OPTIONS, "beta3", "dCoef", "safeguardWarmup"]);
  const { b1, b2, eps, d0, config, initState, begin } = checkDistanceEstimate(owner, options);
  const b3 = checkNumber(owner, "beta3", options.beta3 ?? Math.sqrt(b2), "[0, 1)");
  const dCoef = checkNumber(owner, "dCoef", options.dCoef ?? 1, "(0, inf)");
  const safeguard = checkBoolean(owner, "safeguardWarmup", options.safeguardWarmup ?? false);
  return {
    config: (state) => ({ ...config(state), beta3: b3, dCoef, safeguardWarmup: safeguard }),
    init: (params) => ({ ...initState(params), p0: leavesOf(params).map((p) => p.slice()) }),
    buffers: (state) => ({ expAvg: state.expAvg, expAvgSq: state.expAvgSq, s: state.s, p0: state.p0 }),
    update(updates: Tree, state, params) {
      const { us, ps, on, wd, dlr } = begin(updates, state, params); // every check before the first write
      const d = state.d;
      const sWeight = safeguard ? d : dlr;
      // ⟨g, x₀ − x⟩ first: it reads the params before anything moves
      let dot = 0;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const x0 = state.p0[i]!;
        let leaf = 0;
        for (let j = 0; j < u.length; j++) leaf += u[j]! * (x0[j]! - p[j]!);
        dot += leaf;
      }
      let sNorm = 0;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        const s = state.s[i]!;
        let leaf = 0;
        for (let j = 0; j < u.length; j++) {
          const dg = d * u[j]!;
          m[j] = b1 * m[j]! + (1 - b1) * dg;
          v[j] = b2 * v[j]! + (1 - b2) * dg * dg;
          s[j] = b3 * s[j]! + (sWeight * dg) / d0;
          leaf += Math.abs(s[j]!);
        }
        sNorm += leaf;
      }
      state.dNumerator = b3 * state.dNumerator + (d / d0) * dlr * dot;
      if (sNorm > 0) state.d = Math.max(d, (dCoef * state.dNumerator) / sNorm);
      const epsD = state.d * eps;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        const lam = on[i] ? wd : 0;
        for (let j = 0; j < u.length; j++)
          u[j] = -lam * dlr * p[j]! - (dlr * m[j]!) / (Math.sqrt(v[j]!) + epsD);
      }
      state.count += 1;
      return updates;
    },
  };
}
