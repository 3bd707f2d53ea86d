/**
 * What the D-estimating Adams (Prodigy, D-Adaptation) share: their options, checked once, and the
 * step size of an update. Internal.
 */
import { checkHyper, checkMask, checkNumber, type Hyper, hyperAt, valueAt } from "../hyper.js";
import { buffersLike, paramLeaves, updateLeaves } from "../transform.js";
import type { FloatArray, Mask, Tree } from "../tree.js";
import { maskFor } from "./add-decayed-weights.js";
import { checkBetas } from "./scale-by-adam.js";

/** The options every D-estimating Adam takes. */
export interface DistanceEstimateOptions {
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
  /** Name used in error messages. */
  owner?: string;
}

/** The state every D-estimating Adam keeps. */
export interface DistanceEstimateState {
  /** Updates applied so far. */
  count: number;
  /** First moment (of D·g for Prodigy, of η·g for D-Adaptation). */
  expAvg: FloatArray[];
  /** Second moment. */
  expAvgSq: FloatArray[];
  /** s: the running sum of scaled gradients whose l1 norm is the estimate's denominator. */
  s: FloatArray[];
  /** The current estimate D of the distance to the solution (never decreases). */
  d: number;
  /** The estimate's numerator. */
  dNumerator: number;
}

/** The shared option names, for `checkOptions`. */
export const DISTANCE_ESTIMATE_OPTIONS = [
  "lr",
  "betas",
  "eps",
  "d0",
  "weightDecay",
  "mask",
  "owner",
] as const;

/** Checks the shared options (betas must be numbers: the bias correction and the estimate assume them constant). */
export function checkDistanceEstimate(owner: string, options: DistanceEstimateOptions) {
  const lr = checkHyper(owner, "lr", options.lr ?? 1, "[0, inf)");
  const betas = checkBetas(owner, options.betas ?? [0.9, 0.999]);
  const b1 = checkNumber(owner, "betas[0]", betas[0], "[0, 1)");
  const b2 = betas[1];
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const d0 = checkNumber(owner, "d0", options.d0 ?? 1e-6, "(0, inf)");
  const weightDecay = checkHyper(owner, "weightDecay", options.weightDecay ?? 0, "[0, inf)");
  checkMask(owner, "mask", options.mask);
  return {
    lr,
    b1,
    b2,
    eps,
    d0,
    weightDecay,
    mask: options.mask,
    /** The shared part of `config`. */
    config: (state: DistanceEstimateState) => ({
      lr: hyperAt(lr, state.count),
      "betas[0]": b1,
      "betas[1]": b2,
      eps,
      d0,
      weightDecay: hyperAt(weightDecay, state.count),
      d: state.d,
    }),
    /** The shared part of the state, at its start. */
    initState: (params: Tree): DistanceEstimateState => ({
      count: 0,
      expAvg: buffersLike(params),
      expAvgSq: buffersLike(params),
      s: buffersLike(params),
      d: d0,
      dNumerator: 0,
    }),
    /**
     * An update's leaves (checked against the state), params, decay mask, schedule values and step
     * size η = D·lr(k)·√(1−β2^(k+1))/(1−β1^(k+1)) — all read before any write (a schedule out of
     * range throws here).
     */
    begin(updates: Tree, state: DistanceEstimateState, params: Tree | undefined) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const ps = paramLeaves(owner, params, us.length);
      const on = maskFor(owner, options.mask, params!);
      const sched = valueAt(owner, "lr", lr, state.count, "[0, inf)");
      const wd = valueAt(owner, "weightDecay", weightDecay, state.count, "[0, inf)");
      const k = state.count + 1;
      const bc = Math.sqrt(1 - b2 ** k) / (1 - b1 ** k);
      return { us, ps, on, wd, dlr: state.d * sched * bc };
    },
  };
}
