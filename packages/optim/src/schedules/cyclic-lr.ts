import { checkBoolean, checkNumber, type Schedule, showValue, valueAt } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** `cyclicLr`'s amplitude policy: constant, halved every cycle, or × γ^count. */
export type CyclicMode = "triangular" | "triangular2" | "exp_range";

/** Options of `cyclicLr`: `CyclicLR`'s. */
export interface CyclicLrOptions {
  /** The lower end of the cycle (and the first value), ≥ 0. Required. */
  baseLr: number;
  /** The upper end of the cycle, ≥ 0; the amplitude is maxLr − baseLr. Required. */
  maxLr: number;
  /** Updates in the rising half of a cycle, an integer ≥ 1. Default 2000. */
  stepSizeUp?: number;
  /** Updates in the falling half, an integer ≥ 1. Default: stepSizeUp. */
  stepSizeDown?: number;
  /** The amplitude policy (checked, but not used, when `scaleFn` is given). Default "triangular". */
  mode?: CyclicMode;
  /** γ > 0 of "exp_range". Default 1. */
  gamma?: number;
  /** A custom amplitude scale (replaces `mode`), read per cycle or per iteration; it must return a number (checked when read). */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` is given: the cycle number or the update count (checked, but not used, without `scaleFn`). Default "cycle". */
  scaleMode?: "cycle" | "iterations";
  /** Also return a momentum schedule cycling inversely to lr. Default true. */
  cycleMomentum?: boolean;
  /** The momentum when lr is at maxLr, in [0, 1). Default 0.8. */
  baseMomentum?: number;
  /** The momentum when lr is at baseLr, in [0, 1). Default 0.9. */
  maxMomentum?: number;
}

/** What `cyclicLr` returns: the lr schedule, and the momentum schedule that goes with it. */
export interface CyclicSchedules {
  /** The learning rate (its base is maxLr). */
  lr: BaseSchedule;
  /** Cycles inversely to lr; absent when cycleMomentum is false. Feed it to `momentum` or `betas[0]`. */
  momentum?: Schedule;
}

/**
 * `CyclicLR` (Smith 2017): lr rises from baseLr to maxLr over `stepSizeUp` updates and falls back over
 * `stepSizeDown`; the amplitude is scaled by 1 (triangular), 1/2^(cycle−1) (triangular2) or γ^t
 * (exp_range). With cycleMomentum, momentum moves the other way between maxMomentum and baseMomentum.
 * Defaults: stepSizeUp 2000, stepSizeDown = stepSizeUp, gamma 1, momentum 0.8…0.9.
 */
export function cyclicLr(options: CyclicLrOptions): CyclicSchedules {
  const owner = "cyclicLr";
  const o = scheduleOptions(
    owner,
    options,
    [
      "baseLr",
      "maxLr",
      "stepSizeUp",
      "stepSizeDown",
      "mode",
      "gamma",
      "scaleFn",
      "scaleMode",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
    ],
    ["baseLr", "maxLr"],
  );
  const baseLr = checkLr(owner, o.baseLr, "baseLr");
  const maxLr = checkLr(owner, o.maxLr, "maxLr");
  const up = checkPositiveInteger(owner, "stepSizeUp", o.stepSizeUp ?? 2000);
  const down = checkPositiveInteger(owner, "stepSizeDown", o.stepSizeDown ?? up);
  const gamma = checkNumber(owner, "gamma", o.gamma ?? 1, "(0, inf)");
  const mode = o.mode ?? "triangular";
  if (mode !== "triangular" && mode !== "triangular2" && mode !== "exp_range") {
    throw new RangeError(
      `${owner}: mode must be "triangular", "triangular2" or "exp_range", got ${showValue(mode)}`,
    );
  }
  if (o.scaleMode !== undefined && o.scaleMode !== "cycle" && o.scaleMode !== "iterations") {
    throw new RangeError(
      `${owner}: scaleMode must be "cycle" or "iterations", got ${showValue(o.scaleMode)}`,
    );
  }
  let scaleFn: (x: number) => number;
  let scaleMode: "cycle" | "iterations";
  if (o.scaleFn !== undefined) {
    if (typeof o.scaleFn !== "function") throw new TypeError(`${owner}: scaleFn must be a function`);
    const custom = o.scaleFn;
    scaleFn = (x) => valueAt(owner, "scaleFn", custom, x, "(-inf, inf)");
    scaleMode = o.scaleMode ?? "cycle";
  } else if (mode === "triangular") {
    scaleFn = () => 1;
    scaleMode = "cycle";
  } else if (mode === "triangular2") {
    scaleFn = (x) => 1 / 2 ** (x - 1);
    scaleMode = "cycle";
  } else {
    scaleFn = (x) => gamma ** x;
    scaleMode = "iterations";
  }
  const cycleMomentum = checkBoolean(owner, "cycleMomentum", o.cycleMomentum ?? true);
  const baseM = checkNumber(owner, "baseMomentum", o.baseMomentum ?? 0.8, "[0, 1)");
  const maxM = checkNumber(owner, "maxMomentum", o.maxMomentum ?? 0.9, "[0, 1)");

  const total = up + down;
  const ratio = up / total;
  // Same arithmetic, in the same order, as PyTorch's get_lr.
  const phase = (t: number) => {
    const cycle = Math.floor(1 + t / total);
    const x = 1 + t / total - cycle;
    const factor = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    return { factor, amplitude: scaleFn(scaleMode === "cycle" ? cycle : t) };
  };
  const lr = withBase((t) => {
    const p = phase(t);
    return baseLr + (maxLr - baseLr) * p.factor * p.amplitude;
  }, maxLr);
  if (!cycleMomentum) return { lr };
  const momentum = (t: number) => {
    const p = phase(t);
    return maxM - (maxM - baseM) * p.factor * p.amplitude;
  };
  return { lr, momentum };
}
