import { checkNumber, showValue } from "../hyper.js";
import { type BaseSchedule, checkNonNegativeInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `warmupStableDecay`. */
export interface WarmupStableDecayOptions {
  /** The value at count 0, ≥ 0. Default 0. */
  init?: number;
  /** The value at the end of the warmup, ≥ 0. Required. */
  peak: number;
  /** Updates of linear warmup from `init` to `peak`, an integer ≥ 0. Required. */
  warmupSteps: number;
  /** Updates held at `peak` after the warmup, an integer ≥ 0. Required. */
  stableSteps: number;
  /** Updates of decay from `peak` to `end`, an integer ≥ 0. Required. */
  decaySteps: number;
  /** The value after the decay, ≥ 0. Default 0. */
  end?: number;
  /** The decay's shape: "cosine", "linear" or "1-sqrt" (1 − √x). Default "cosine". */
  decayShape?: "cosine" | "linear" | "1-sqrt";
}

/**
 * WSD ("trapezoidal"): linear warmup from `init` to `peak`, hold `peak` for `stableSteps`, then decay
 * to `end` over `decaySteps` along a cosine, a line, or 1−√x (Hägele et al. 2024), then hold `end`.
 */
export function warmupStableDecay(options: WarmupStableDecayOptions): BaseSchedule {
  const owner = "warmupStableDecay";
  const o = scheduleOptions(
    owner,
    options,
    ["init", "peak", "warmupSteps", "stableSteps", "decaySteps", "end", "decayShape"],
    ["peak", "warmupSteps", "stableSteps", "decaySteps"],
  );
  const init = checkNumber(owner, "init", o.init ?? 0, "[0, inf)");
  const peak = checkNumber(owner, "peak", o.peak, "[0, inf)");
  const end = checkNumber(owner, "end", o.end ?? 0, "[0, inf)");
  const warmup = checkNonNegativeInteger(owner, "warmupSteps", o.warmupSteps);
  const stable = checkNonNegativeInteger(owner, "stableSteps", o.stableSteps);
  const decay = checkNonNegativeInteger(owner, "decaySteps", o.decaySteps);
  const shape = o.decayShape ?? "cosine";
  const shapes = {
    cosine: (d: number) => 0.5 * (1 + Math.cos(Math.PI * d)),
    linear: (d: number) => 1 - d,
    "1-sqrt": (d: number) => 1 - Math.sqrt(d),
  };
  const f = typeof shape === "string" && Object.hasOwn(shapes, shape) ? shapes[shape] : undefined;
  if (!f)
    throw new RangeError(
      `${owner}: decayShape must be "cosine", "linear" or "1-sqrt", got ${showValue(shape)}`,
    );
  return withBase((t) => {
    if (t < warmup) return init + ((peak - init) * t) / warmup;
    if (t < warmup + stable) return peak;
    const d = decay === 0 ? 1 : Math.min(t - warmup - stable, decay) / decay;
    return end + (peak - end) * f(d);
  }, peak);
}
