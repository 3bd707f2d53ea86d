/**
 * A config's optimizer section as a momenta transform: the optimizer (momenta's own constructor, so
 * its own checks apply), its lr as the chosen schedule, weight decay with the chosen mask, and
 * `clipByGlobalNorm` in front when clipping is on. Plain chains, so momenta's fused kernels run them.
 */
import * as momenta from "momenta-optim";
import {
  type AnyTransformation,
  chain,
  clipByGlobalNorm,
  constantLr,
  cosineAnnealingLr,
  excludeBiasAndNorm,
  exponentialLr,
  type Hyper,
  linearLr,
  multiStepLr,
  oneCycleLr,
  polynomialLr,
  stepLr,
  warmupCosineDecay,
  warmupStableDecay,
} from "momenta-optim";
import {
  type Config,
  OPTIMIZER_DECLARATIONS,
  OPTIMIZERS,
  type OptimizerConfig,
  type OptimizerName,
  resolveSchedule,
  type ScheduleConfig,
} from "./config.ts";
import { ConfigError, type Sources } from "./errors.ts";

/** Each optimizer's constructor, from momenta's exports (each checks its own options). */
const FACTORIES = Object.fromEntries(
  Object.entries(momenta).filter(([name]) => (OPTIMIZERS as string[]).includes(name)),
) as Record<OptimizerName, (options: object) => AnyTransformation>;

/** Defaults the TF.js models this CLI trains need: their weights keep the output axis last ([in, out]). */
export const TFJS_DEFAULTS: Record<string, unknown> = { outputAxis: "last" };

/** The lr as a constant or as the configured schedule, whose base value is `lr`. */
export function buildSchedule(schedule: ScheduleConfig, lr: number): Hyper {
  const { name, ...options } = schedule;
  switch (name) {
    case "none":
      return lr;
    case "constantLr":
      return constantLr({ lr, ...options });
    case "linearLr":
      return linearLr({ lr, ...options });
    case "stepLr":
      return stepLr({ lr, ...(options as { stepSize: number }) });
    case "multiStepLr":
      return multiStepLr({ lr, ...(options as { milestones: number[] }) });
    case "exponentialLr":
      return exponentialLr({ lr, ...(options as { gamma: number }) });
    case "polynomialLr":
      return polynomialLr({ lr, ...options });
    case "cosineAnnealingLr":
      return cosineAnnealingLr({ lr, ...(options as { tMax: number }) });
    case "oneCycleLr":
      // lr only: momentum / β1 are not cycled (cycleMomentum would need them to be schedules too).
      return oneCycleLr({ maxLr: lr, ...options, cycleMomentum: false }).lr;
    case "warmupCosineDecay":
      return warmupCosineDecay({ peak: lr, ...(options as { warmupSteps: number; decaySteps: number }) });
    case "warmupStableDecay":
      return warmupStableDecay({
        peak: lr,
        ...(options as { warmupSteps: number; stableSteps: number; decaySteps: number }),
      });
  }
}

export interface Built {
  tx: AnyTransformation;
  /** The lr the update numbered `count` (from 0) uses. */
  lrAt(count: number): number;
}

/** Builds the transform; momenta's constructors throw (RangeError / TypeError) on a bad option. */
export function buildTransform(config: Config): Built {
  const { name, ...given } = config.optimizer;
  const lr = buildSchedule(resolveSchedule(config), config.optimizer.lr);
  // masks are named choices in a config: "all" is the default, "excludeBiasAndNorm" the function
  const specs = OPTIMIZER_DECLARATIONS[name].options as Record<string, { type: string }>;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(TFJS_DEFAULTS)) if (key in specs) options[key] = value;
  for (const [key, value] of Object.entries(given)) {
    if (specs[key]?.type !== "mask") options[key] = value;
    else if (value === "excludeBiasAndNorm") options[key] = excludeBiasAndNorm;
  }
  const tx = FACTORIES[name]({ ...options, lr });
  return {
    tx: config.clip === null ? tx : chain(clipByGlobalNorm(config.clip), tx),
    lrAt: (count) => (typeof lr === "number" ? lr : lr(count)),
  };
}

/** "adamw lr=0.001 weightDecay=0.05 mask=excludeBiasAndNorm": a section as given, for tables and logs. */
export function describeOptimizer(o: OptimizerConfig | ScheduleConfig): string {
  const parts = Object.entries(o)
    .filter(([k]) => k !== "name")
    .map(
      ([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : typeof v === "object" ? JSON.stringify(v) : v}`,
    );
  return [o.name, ...parts].join(" ");
}

/**
 * Builds the transform once to run momenta's own checks (ranges that depend on several options, a
 * schedule's warmup longer than its decay…); a failure becomes a ConfigError naming the flag or key.
 */
export function checkTransform(config: Config, sources: Sources): void {
  try {
    buildTransform(config);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const section = message.startsWith(`${config.schedule.name}:`) ? "schedule" : "optimizer";
    const keys = Object.keys(section === "schedule" ? resolveSchedule(config) : config.optimizer).filter(
      (k) => k !== "name" && message.includes(k),
    );
    const flag = keys.map((k) => sources.flags.get(`${section}.${k}`)).find((f) => f !== undefined);
    const origin = sources.file ?? sources.origin ?? "config";
    throw new ConfigError([`${flag ? flag.flag : `${origin}: ${section}`}: ${message}`]);
  }
}
