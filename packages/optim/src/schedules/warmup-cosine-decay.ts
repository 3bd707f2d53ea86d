import { checkNumber } from "../hyper.js";
import {
  type BaseSchedule,
  checkNonNegativeInteger,
  checkPositiveInteger,
  scheduleOptions,
  withBase,
} from "./base.js";

export interface WarmupCosineDecayOptions {
  init?: number;
  peak: number;
  warmupSteps: number;
  /** The whole schedule's length, warmup included (as in Optax). */
  decaySteps: number;
  end?: number;
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
