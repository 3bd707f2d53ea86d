/**
 * What `momenta train` runs, as one validated object: the model, the optimizer and its options (in
 * momenta's names), the schedule, clipping, the run's length and seed, the backend, the data split and
 * where results go. A JSON file (`--config`) and the flags both fill this same schema, so both are
 * checked by the same rules; nothing the user gives is evaluated as code (masks are named choices).
 *
 * `parseConfig` returns the config with its defaults filled in (the optimizer's lr included); it is
 * itself a valid input meaning the same run, which is why checkpoints and `config.json` store it.
 * Schedule step counts left out default to the run's length (`resolveSchedule`), so a run made
 * longer on resume (`--resume … --epochs N`) stretches such a schedule to its new length.
 */

import * as momenta from "momenta-optim";
import {
  declarationOf,
  inInterval,
  type NumberOption,
  type OptimizerDeclaration,
  type OptionSpec,
} from "momenta-optim";
import { z } from "zod";
import { ConfigError, type KeysAt, renderIssues, type Sources, valueAt } from "./errors.ts";

/** The optimizers momenta declares (see `declareOptimizer`), by their exported names. */
type Declared = {
  [K in keyof typeof momenta]: (typeof momenta)[K] extends { declaration: unknown } ? K : never;
}[keyof typeof momenta];

/** Declared optimizers the CLI leaves out on purpose, each with its reason. */
export const NOT_IN_CLI = {
  lbfgs:
    "it is stepped with a closure over the whole objective (full batch, several evaluations a step); momenta train steps minibatch gradients",
  scheduleFreeAdamw:
    "its model is evaluated at the averaged params x (scheduleFreeEval), which the CLI's TF.js training loop does not switch to",
} as const satisfies Partial<Record<Declared, string>>;

export type OptimizerName = Exclude<Declared, keyof typeof NOT_IN_CLI>;

/** Every declared optimizer of momenta's public API but those in NOT_IN_CLI: a new one needs no edit here. */
export const OPTIMIZER_DECLARATIONS = Object.fromEntries(
  Object.entries(momenta).flatMap(([name, f]) => {
    const d = declarationOf(f);
    return d && !Object.hasOwn(NOT_IN_CLI, name) ? [[name, d]] : [];
  }),
) as Record<OptimizerName, OptimizerDeclaration>;

export const OPTIMIZERS = Object.keys(OPTIMIZER_DECLARATIONS) as OptimizerName[];

export const SCHEDULES = [
  "none",
  "constantLr",
  "linearLr",
  "stepLr",
  "multiStepLr",
  "exponentialLr",
  "polynomialLr",
  "cosineAnnealingLr",
  "oneCycleLr",
  "warmupCosineDecay",
  "warmupStableDecay",
] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** The optimizer and the schedule a section without `name` stands for. */
export const DEFAULT_OPTIMIZER: OptimizerName = "adamw";
export const DEFAULT_SCHEDULE: ScheduleName = "none";

/** Which leaves weight decay applies to: every one (PyTorch's default), or not biases, norms and other 1-D leaves. */
export const DECAY_MASKS = ["all", "excludeBiasAndNorm"] as const;
export const MODELS = ["mlp", "cnn"] as const;
export const BACKENDS = ["wasm", "cpu"] as const;
/** The `mnist` package ships this many digits. */
export const MAX_DIGITS = 10_000;

/** momenta's default lr for each optimizer (PyTorch's, from its declaration), written into the resolved config. */
export const DEFAULT_LR = Object.fromEntries(
  OPTIMIZERS.map((name) => [name, (OPTIMIZER_DECLARATIONS[name].options.lr as NumberOption).default]),
) as Record<OptimizerName, number>;

// ── Value rules, each with the message shown when a value breaks it ──────────────────────────────

/** "[0, inf)" → ">= 0", "(0, inf)" → "> 0", "[0, 1)" → "in [0, 1)". */
function describeInterval(interval: string): string {
  const m = /^([[(])\s*(-?inf|[-+0-9.e]+)\s*,\s*(-?inf|[-+0-9.e]+)\s*([\])])$/.exec(interval)!;
  if (m[3] === "inf") return `${m[1] === "(" ? ">" : ">="} ${m[2]}`;
  if (m[2] === "-inf") return `${m[4] === ")" ? "<" : "<="} ${m[3]}`;
  return `in ${interval}`;
}

const num = (interval: string) => {
  const error = `expected a number ${describeInterval(interval)}`;
  return z.number({ error }).refine((v) => inInterval(v, interval), { error });
};
const int = (interval: string) => {
  const error = `expected an integer ${describeInterval(interval)}`;
  return z.int({ error }).refine((v) => inInterval(v, interval), { error });
};
const bool = () => z.boolean({ error: "expected true or false" });
const steps = (interval = "[0, inf)") => int(interval);

// ── Optimizers: each one's options, read from its declaration; all optional (its defaults apply) ──

/**
 * Where the CLI's options differ from the library's, on purpose (null: not offered). A config is
 * data: masks are named choices, never code, and no option takes a schedule (the lr's is the
 * `schedule` section).
 */
const CLI_OPTIONS: Record<string, z.ZodType | null> = {
  // lr 0 trains nothing: refused here; the library allows it (a schedule may pass through 0)
  lr: num("(0, inf)"),
  // training minimizes the loss
  maximize: null,
  mask: z.enum(DECAY_MASKS),
  // which leaves muon trains: its default, the 2-D weights
  muonMask: null,
};

/** A declared option as a zod schema: its range, its choices, its tuple's items. */
function zodOf(spec: OptionSpec): z.ZodType {
  switch (spec.type) {
    case "number": {
      const n = spec.integer ? int(spec.range) : num(spec.range);
      return spec.nullable ? n.nullable() : n;
    }
    case "boolean":
      return bool();
    case "choice": {
      const named = z.enum(spec.values.filter((v) => v !== null) as [string, ...string[]]);
      return spec.values.includes(null) ? named.nullable() : named;
    }
    case "tuple":
      return z.tuple(
        spec.items.map((it) => {
          const n = it.integer ? int(it.range) : num(it.range);
          return it.nullable ? n.nullable() : n;
        }) as unknown as [z.ZodType, ...z.ZodType[]],
        { error: `expected ${spec.shape}, e.g. ${spec.default.join(",")}` },
      );
    case "mask":
      return z.enum(DECAY_MASKS);
    case "options":
      // nested options (muon's adamw) take numbers and choices only: its lr and mask are muon's
      return z.strictObject(optionShape(spec.of(), true)).partial();
  }
}

/** The options an optimizer's section holds, from its declaration and CLI_OPTIONS. */
function optionShape(d: OptimizerDeclaration, nested = false): z.ZodRawShape {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, spec] of Object.entries(d.options as Record<string, OptionSpec>)) {
    if (nested && spec.type === "mask") continue;
    const override = Object.hasOwn(CLI_OPTIONS, key) ? CLI_OPTIONS[key] : undefined;
    if (override === null) continue;
    shape[key] = override ?? zodOf(spec);
  }
  return shape;
}

const OPTIMIZER_OPTIONS = Object.fromEntries(
  OPTIMIZERS.map((name) => [name, optionShape(OPTIMIZER_DECLARATIONS[name])]),
) as Record<OptimizerName, z.ZodRawShape>;

/** The keys an optimizer's section may hold (for messages). */
export function optimizerKeys(name: OptimizerName): string[] {
  return ["name", ...Object.keys(OPTIMIZER_OPTIONS[name])];
}

/** The keys of a nested options section (muon's `adamw`), for messages. */
function nestedKeys(name: OptimizerName, key: string): string[] {
  const spec = (OPTIMIZER_DECLARATIONS[name].options as Record<string, OptionSpec>)[key];
  return spec?.type === "options" ? Object.keys(optionShape(spec.of(), true)) : [];
}

// ── Schedules: momenta's option names, less the base value (lr / peak / maxLr: optimizer.lr) ────

const SCHEDULE_OPTIONS: Record<ScheduleName, z.ZodRawShape> = {
  none: {},
  constantLr: { factor: num("[0, 1]"), totalIters: steps() },
  linearLr: { startFactor: num("(0, 1]"), endFactor: num("[0, 1]"), totalIters: steps() },
  stepLr: { stepSize: steps("[1, inf)"), gamma: num("[0, inf)") },
  multiStepLr: {
    milestones: z.array(steps(), { error: "expected a list of step counts, e.g. 500,750" }),
    gamma: num("[0, inf)"),
  },
  exponentialLr: { gamma: num("[0, inf)") },
  polynomialLr: { totalIters: steps("[1, inf)"), power: num("[0, inf)") },
  cosineAnnealingLr: { tMax: steps("[1, inf)"), etaMin: num("[0, inf)") },
  oneCycleLr: {
    totalSteps: steps("[1, inf)"),
    pctStart: num("[0, 1]"),
    annealStrategy: z.enum(["cos", "linear"]),
    divFactor: num("(0, inf)"),
    finalDivFactor: num("(0, inf)"),
    threePhase: bool(),
  },
  warmupCosineDecay: {
    init: num("[0, inf)"),
    warmupSteps: steps(),
    decaySteps: steps("[1, inf)"),
    end: num("[0, inf)"),
    exponent: num("(0, inf)"),
  },
  warmupStableDecay: {
    init: num("[0, inf)"),
    warmupSteps: steps(),
    stableSteps: steps(),
    decaySteps: steps(),
    end: num("[0, inf)"),
    decayShape: z.enum(["cosine", "linear", "1-sqrt"]),
  },
};
/** Options a schedule cannot do without. */
const REQUIRED: Partial<Record<ScheduleName, string[]>> = {
  exponentialLr: ["gamma"],
  multiStepLr: ["milestones"],
};

export function scheduleKeys(name: ScheduleName): string[] {
  return ["name", ...Object.keys(SCHEDULE_OPTIONS[name])];
}

type Members = [z.ZodObject, z.ZodObject, ...z.ZodObject[]];

const optimizerSchema = z.discriminatedUnion(
  "name",
  OPTIMIZERS.map((name) =>
    z.strictObject({ name: z.literal(name), ...z.object(OPTIMIZER_OPTIONS[name]).partial().shape }),
  ) as unknown as Members,
);

const scheduleSchema = z.discriminatedUnion(
  "name",
  SCHEDULES.map((name) => {
    const shape: Record<string, z.ZodType> = { ...z.object(SCHEDULE_OPTIONS[name]).partial().shape };
    for (const key of REQUIRED[name] ?? []) shape[key] = SCHEDULE_OPTIONS[name][key] as z.ZodType;
    return z.strictObject({ name: z.literal(name), ...shape });
  }) as unknown as Members,
);

/** A section given without `name` (e.g. only `--lr`) is the default optimizer's / schedule's. */
const withName = (name: string) => (v: unknown) =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !("name" in v) ? { name, ...v } : v;

export const TOP_KEYS = [
  "model",
  "optimizer",
  "schedule",
  "clip",
  "epochs",
  "batchSize",
  "seed",
  "backend",
  "data",
  "out",
  "diagnostics",
] as const;

export const ConfigSchema = z
  .strictObject({
    model: z
      .strictObject({
        type: z.enum(MODELS).default("mlp"),
        hidden: z
          .array(int("[1, inf)"), { error: "expected layer sizes, e.g. 128 or 256,128" })
          .default([128]),
        filters: z
          .array(int("[1, inf)"), { error: "expected filter counts, e.g. 8,16" })
          .min(1, { error: "expected at least one filter count, e.g. 8,16" })
          .default([8, 16]),
      })
      .prefault({}),
    optimizer: z
      .preprocess(withName(DEFAULT_OPTIMIZER), optimizerSchema)
      .prefault({ name: DEFAULT_OPTIMIZER }),
    schedule: z.preprocess(withName(DEFAULT_SCHEDULE), scheduleSchema).prefault({ name: DEFAULT_SCHEDULE }),
    /** Max global gradient norm (clipByGlobalNorm before the optimizer); null: no clipping. */
    clip: num("(0, inf)").nullable().default(null),
    epochs: int("[1, inf)").default(3),
    batchSize: int("[1, inf)").default(64),
    seed: int("[0, 4294967295]").default(1),
    backend: z.enum(BACKENDS).default("wasm"),
    data: z
      .strictObject({
        train: int(`[1, ${MAX_DIGITS}]`).default(8000),
        test: int(`[1, ${MAX_DIGITS}]`).default(2000),
      })
      .prefault({}),
    out: z
      .string({ error: "expected a directory name" })
      .min(1, { error: "expected a directory name" })
      .default("runs/momenta-train"),
    /** Watch the optimizer with `observe`: a stats line per epoch, every k-th step to a JSONL file. Null: off. */
    diagnostics: z
      .strictObject({
        every: int("[1, inf)").default(50),
        jsonl: z
          .string({ error: "expected a file name" })
          .min(1, { error: "expected a file name" })
          .nullable()
          .default(null),
      })
      .nullable()
      .default(null),
  })
  .superRefine((c, ctx) => {
    if (c.data.train + c.data.test > MAX_DIGITS) {
      ctx.addIssue({
        code: "custom",
        path: ["data"],
        message: `train + test must be at most ${MAX_DIGITS} (the digits the mnist package has), got ${c.data.train} + ${c.data.test}`,
      });
    }
  });

export interface OptimizerConfig {
  name: OptimizerName;
  lr: number;
  weightDecay?: number;
  mask?: (typeof DECAY_MASKS)[number];
  [option: string]: unknown;
}

export interface ScheduleConfig {
  name: ScheduleName;
  [option: string]: unknown;
}

type Parsed = z.output<typeof ConfigSchema>;

export interface Config extends Omit<Parsed, "optimizer" | "schedule"> {
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
}

/** Updates per epoch: the last batch may be smaller. */
export function stepsPerEpoch(config: Pick<Config, "data" | "batchSize">): number {
  return Math.ceil(config.data.train / config.batchSize);
}

/** The schedule with its step counts filled in from the run's length where not given. */
export function resolveSchedule(
  config: Pick<Config, "schedule" | "data" | "batchSize" | "epochs">,
): ScheduleConfig {
  const s = config.schedule;
  const perEpoch = stepsPerEpoch(config);
  const total = perEpoch * config.epochs;
  const out: ScheduleConfig = { ...s };
  const fill = (key: string, value: number) => {
    if (out[key] === undefined) out[key] = value;
  };
  switch (s.name) {
    case "constantLr":
      fill("totalIters", perEpoch);
      break;
    case "linearLr":
    case "polynomialLr":
      fill("totalIters", total);
      break;
    case "stepLr":
      fill("stepSize", perEpoch);
      break;
    case "cosineAnnealingLr":
      fill("tMax", total);
      break;
    case "oneCycleLr":
      fill("totalSteps", total);
      break;
    case "warmupCosineDecay":
      fill("warmupSteps", 0);
      fill("decaySteps", total);
      break;
    case "warmupStableDecay": {
      fill("warmupSteps", 0);
      fill("decaySteps", Math.round(total * 0.2));
      fill("stableSteps", Math.max(0, total - (out.warmupSteps as number) - (out.decaySteps as number)));
      break;
    }
    default:
      break;
  }
  return out;
}

const BASE_NAMES = new Set(["lr", "peak", "maxLr"]);

/**
 * For an unknown option: which optimizers (schedules) have it, and — when the section names none, so
 * that it is the default's — that this is why, and how to name one.
 */
function ownersHint(
  key: string,
  named: boolean,
  owners: readonly string[],
  kind: "optimizer" | "schedule",
): string | undefined {
  const flag = kind === "optimizer" ? "--optimizer" : "--schedule";
  const whose = owners.length ? `${key} is an option of ${owners.join(", ")}` : "";
  if (named) return whose ? `; ${whose}` : undefined;
  const why =
    kind === "optimizer"
      ? `no optimizer was named, so it is ${DEFAULT_OPTIMIZER} (the default)`
      : "no schedule was named, so there is none";
  return `; ${why}${whose ? `: ${whose}` : ""} (name one with ${flag}, or "name" in the config's ${kind} section)`;
}

/** Which keys each section allows, for "unknown key" messages. */
const keysAt: KeysAt = (path, input) => {
  const at = path.map(String).join(".");
  const given = (section: string) => valueAt(input, [section, "name"]) !== undefined;
  const optimizer = given("optimizer") ? String(valueAt(input, ["optimizer", "name"])) : DEFAULT_OPTIMIZER;
  const schedule = given("schedule") ? String(valueAt(input, ["schedule", "name"])) : DEFAULT_SCHEDULE;
  if (path.length === 2 && path[0] === "optimizer") {
    const key = String(path[1]);
    return {
      what: `${optimizer}'s ${key}`,
      keys: Object.hasOwn(OPTIMIZER_OPTIONS, optimizer) ? nestedKeys(optimizer as OptimizerName, key) : [],
    };
  }
  switch (at) {
    case "":
      return { what: "the config", keys: TOP_KEYS };
    case "model":
      return { what: "model", keys: ["type", "hidden", "filters"] };
    case "data":
      return { what: "data", keys: ["train", "test"] };
    case "optimizer":
      return {
        what: optimizer,
        keys: Object.hasOwn(OPTIMIZER_OPTIONS, optimizer) ? optimizerKeys(optimizer as OptimizerName) : [],
        hint: (key) =>
          ownersHint(
            key,
            given("optimizer"),
            OPTIMIZERS.filter((n) => n !== optimizer && Object.hasOwn(OPTIMIZER_OPTIONS[n], key)),
            "optimizer",
          ),
      };
    case "schedule":
      return {
        what: `schedule ${schedule}`,
        keys: Object.hasOwn(SCHEDULE_OPTIONS, schedule) ? scheduleKeys(schedule as ScheduleName) : [],
        hint: (key) =>
          BASE_NAMES.has(key)
            ? "; the schedule's base value is the optimizer's lr (--lr)"
            : ownersHint(
                key,
                given("schedule"),
                SCHEDULES.filter((n) => n !== schedule && Object.hasOwn(SCHEDULE_OPTIONS[n], key)),
                "schedule",
              ),
      };
    default:
      return { what: at, keys: [] };
  }
};

/**
 * Validates `input` (a JSON config with flags laid over it) and resolves it. Throws a ConfigError
 * whose lines name each problem where the user wrote it (`--lr: …`, `train.json: optimizer: …`).
 * `check` runs after the schema (it builds the optimizer, whose own checks also apply).
 */
export function parseConfig(input: unknown, sources: Sources, check?: (c: Config) => void): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(renderIssues(result.error.issues, input, sources, keysAt));
  const parsed = result.data as unknown as Config;
  const optimizer: OptimizerConfig = {
    ...parsed.optimizer,
    lr: parsed.optimizer.lr ?? DEFAULT_LR[parsed.optimizer.name],
  };
  const config: Config = { ...parsed, optimizer };
  check?.(config);
  return config;
}
