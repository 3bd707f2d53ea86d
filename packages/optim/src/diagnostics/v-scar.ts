/**
 * V-scars: Adam's second moment v remembers every gradient for ~1/(1−β2) steps, so one huge gradient
 * on a coordinate leaves v — and the preconditioner √v̂ — far above what that coordinate's gradients
 * have been since, damping its steps by √(v̂/E[g²]) until v decays (the seeds' sparse-huge-gradient
 * story; README, "Gradient clipping").
 *
 * **What recent gradients justify** is a per-coordinate running estimate r̂ of E[g²] with a short
 * horizon: an exponential moving average with ρ = 1 − 1/window, bias-corrected like Adam's
 * (r̂ = r/(1−ρᵗ)), whose input is *winsorized*: each g² enters capped at `factor · r̂` (uncapped while
 * r is still 0). The cap is what makes it robust: a 100× spike moves r̂ by at most (factor−1)/window
 * (9% for the defaults, once r̂ has seen ≫ window gradients) instead of by spike²/window, so the
 * spike shows as a scar at once; while r̂ is far below a lasting rise in a coordinate's gradient
 * scale it follows at up to ×(1 + (factor−1)/window) per step (10× in ≈ 27 steps for the defaults),
 * then as a plain EMA of horizon `window`. Until it has caught up, such a coordinate can be flagged
 * too — a rise that abrupt is worth a look anyway. For N(0,1) gradients the cap trims g² > 10·E[g²]
 * (P ≈ 0.0016), biasing r̂ low by ≈ 0.3%; its noise is ≈ 1/√window relative (10% for the defaults),
 * which is what limits the precision of the recovery estimate. Non-finite g² enter as the cap.
 * Cost: one buffer per parameter, and every step one read of g and one read-modify-write of r.
 *
 * **Flagged**: v̂ > factor · r̂, with v̂ = v/(1−β2ᵗ) the bias-corrected second moment Adam divides by
 * (`maxExpAvgSq` under AMSGrad). Coordinates with r̂ = 0 — no recent gradient, so no step to damp —
 * are never flagged.
 *
 * **Recovery**: if gradients stay at r̂, E[v] after s more steps is β2ˢ·v + (1−β2ˢ)·r̂, so v̂ ≤ f'·r̂
 * (f' = recoverFactor) once β2ˢ·(v − r̂ + f'·r̂·β2ᵗ) ≤ (f'−1)·r̂ — solved in closed form for the
 * smallest integer s (the β2ᵗ term is the bias correction still to come). AMSGrad's max never
 * decreases: its recovery is null.
 */
import type { FloatArray } from "../tree.js";
import type { VScar, VScarReport } from "./stats.js";

/** Options of v-scar tracking (`observe`'s `vScar` option). */
export interface VScarOptions {
  /** The horizon (≥ 1) of the running E[g²] estimate, in steps (ρ = 1 − 1/window). Default 100. */
  window?: number;
  /** Flag v̂ > factor · r̂ (factor > 1); also the winsorization cap of the estimate. Default 10. */
  factor?: number;
  /** Recovered when v̂ ≤ recoverFactor · r̂; in (1, factor]. Default 2. */
  recoverFactor?: number;
  /** At most this many scars are listed (all are counted); an integer ≥ 0. Default 20. */
  maxReported?: number;
}

/** `VScarOptions` with every default filled in, as `findVScars` takes them. */
export type ResolvedVScarOptions = Required<VScarOptions>;

/**
 * One step of the running estimate for one leaf: `r ← ρ·r + (1−ρ)·min(g², factor·r̂_prev)`, where
 * `t` is the number of gradients it will have seen after this one (1 for the first) and
 * r̂_prev = r/(1−ρ^(t−1)).
 */
export function updateTypicalGradSq(
  r: FloatArray,
  g: FloatArray,
  t: number,
  options: {
    /** The horizon, in steps (ρ = 1 − 1/window). */
    window: number;
    /** The winsorization cap, as a multiple of the current estimate. */
    factor: number;
  },
): void {
  const rho = 1 - 1 / options.window;
  const one = 1 - rho;
  // cap = factor · r / (1 − ρ^(t−1)); on the first step r is 0 and nothing is capped
  const capScale = t > 1 ? options.factor / (1 - rho ** (t - 1)) : 0;
  for (let j = 0; j < g.length; j++) {
    const x = g[j]!;
    const r0 = r[j]!;
    const cap = capScale * r0;
    let g2 = x * x;
    if (r0 > 0) {
      if (!(g2 <= cap)) g2 = cap; // also catches NaN and Infinity
    } else if (g2 - g2 !== 0) g2 = 0; // non-finite with no estimate yet
    r[j] = rho * r0 + one * g2;
  }
}

/** The bias-corrected estimate r̂ = r/(1−ρᵗ) after t gradients. */
export function typicalGradSq(r: number, t: number, window: number): number {
  return t > 0 ? r / (1 - (1 - 1 / window) ** t) : 0;
}

/**
 * Steps until v̂ ≤ recoverFactor·typical if every later g² equals `typical`: the smallest integer
 * s ≥ 0 with β2ˢ·(v − typical + recoverFactor·typical·β2ᵗ) ≤ (recoverFactor − 1)·typical, where
 * v = vHat·(1 − β2ᵗ) is the raw second moment after t updates. Null when it never gets there
 * (typical = 0 with v̂ > 0, or recoverFactor ≤ 1).
 */
export function vScarRecoverySteps(
  vHat: number,
  typical: number,
  beta2: number,
  count: number,
  recoverFactor: number,
): number | null {
  if (vHat <= recoverFactor * typical) return 0;
  if (!(typical > 0) || !(recoverFactor > 1) || !Number.isFinite(vHat)) return null;
  if (beta2 === 0) return 1;
  const decayed = beta2 ** count;
  const v = vHat * (1 - decayed);
  const a = v - typical + recoverFactor * typical * decayed;
  const target = (recoverFactor - 1) * typical;
  if (a <= target) return 0;
  return Math.ceil(Math.log(target / a) / Math.log(beta2) - 1e-9);
}

/** Everything `findVScars` reads: an Adam-family state and the running estimate, leaf by leaf. */
export interface VScarInput {
  /** The leaves' paths, in tree order. */
  paths: readonly string[];
  /** The second moment Adam divides by (`expAvgSq`, or `maxExpAvgSq` under AMSGrad), raw. */
  v: readonly FloatArray[];
  /** Adam's count t (updates applied to v). */
  count: number;
  /** Adam's β2. */
  beta2: number;
  /** True under AMSGrad: v never decreases, so there is no recovery. */
  amsgrad: boolean;
  /** The raw running estimates r (see `updateTypicalGradSq`) and the gradients they have seen. */
  typical: readonly FloatArray[];
  /** Gradients the running estimates have seen. */
  typicalCount: number;
}

/** Flags the coordinates with v̂ > factor·r̂ and estimates their recovery (see the file comment). */
export function findVScars(input: VScarInput, options: ResolvedVScarOptions): VScarReport {
  const { factor, recoverFactor, window, maxReported } = options;
  const invBc2 = 1 / (1 - input.beta2 ** input.count);
  const invBcR = input.typicalCount > 0 ? 1 / (1 - (1 - 1 / window) ** input.typicalCount) : 0;
  let count = 0;
  let worst: { leaf: number; index: number; vHat: number; typical: number; ratio: number }[] = [];
  let floor = 0; // the smallest ratio still kept once the list is trimmed
  const trim = () => {
    worst.sort((a, b) => b.ratio - a.ratio);
    worst = worst.slice(0, maxReported);
    floor = worst.length === maxReported ? worst[worst.length - 1]!.ratio : 0;
  };
  for (let i = 0; i < input.v.length; i++) {
    const v = input.v[i]!;
    const r = input.typical[i]!;
    for (let j = 0; j < v.length; j++) {
      const rh = r[j]! * invBcR;
      const vh = v[j]! * invBc2;
      if (rh > 0 && vh > factor * rh) {
        count += 1;
        const ratio = vh / rh;
        if (maxReported > 0 && ratio > floor) {
          worst.push({ leaf: i, index: j, vHat: vh, typical: rh, ratio });
          if (worst.length >= 4 * maxReported + 16) trim();
        }
      }
    }
  }
  trim();
  const scars: VScar[] = worst.map((w) => ({
    path: input.paths[w.leaf]!,
    index: w.index,
    vHat: w.vHat,
    typical: w.typical,
    ratio: w.ratio,
    recoverySteps: input.amsgrad
      ? null
      : vScarRecoverySteps(w.vHat, w.typical, input.beta2, input.count, recoverFactor),
  }));
  return { count, factor, recoverFactor, window, scars };
}
