import { checkNumber } from "../hyper.js";
import {
  type BaseSchedule,
  checkNonNegativeInteger,
  checkPositiveInteger,
  scheduleOptions,
  withBase,
} from "./base.js";

/** Options of `warmupCosineDecay`: Optax's `warmup_cosine_decay_schedule`'s. */
export interface WarmupCosineDecayOptions {
  /** The value at count 0, ≥ 0. Default 0. */
  init?: number;
  /** The value at the end of the warmup, ≥ 0. Required. */
  peak: number;
  /** Updates of linear warmup from `init` to `peak`, an integer ≥ 0. Required. */
  warmupSteps: number;
  /** The whole schedule's length, warmup included (as in Optax): an integer > warmupSteps. Required. */
  decaySteps: number;
  /** The value from `decaySteps` on, ≥ 0. Default 0. */
  end?: number;
  /** The power (> 0) the cosine factor is raised to. Default 1. */
  exponent?: number;
}

/**
 * Linear warmup from `init` to `peak` over `warmupSteps`, then cosine decay to `end` at `decaySteps`
 * (counted from 0, warmup included), then `end`. Optax's `warmup_cosine_decay_schedule`.
 */
export function warmupCosineDecay(options: WarmupCosineDecayOptions): BaseSchedule {
  const owner = "warmupCosineDecay";
  const o = scheduleOptions(
    owner,
    options,
    ["init", "peak", "warmupSteps", "decaySteps", "end", "exponent"],
    ["peak", "warmupSteps", "decaySteps"],
  );
  const init = checkNumber(owner, "init", o.init ?? 0, "[0, inf)");
  const peak = checkNumber(owner, "peak", o.peak, "[0, inf)");
  const end = checkNumber(owner, "end", o.end ?? 0, "[0, inf)");
  const exponent = checkNumber(owner, "exponent", o.exponent ?? 1, "(0, inf)");
  const warmup = checkNonNegativeInteger(owner, "warmupSteps", o.warmupSteps);
  const total = checkPositiveInteger(owner, "decaySteps", o.decaySteps);
  if (total <= warmup)
    throw new RangeError(`${owner}: decaySteps (${total}) must exceed warmupSteps (${warmup})`);
  const decay = total - warmup;
  return withBase((t) => {
    if (t < warmup) return init + ((peak - init) * t) / warmup;
    const d = Math.min(t - warmup, decay) / decay;
    return end + (peak - end) * (0.5 * (1 + Math.cos(Math.PI * d))) ** exponent;
  }, peak);
}
