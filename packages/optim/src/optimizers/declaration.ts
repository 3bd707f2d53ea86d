/**
 * Each optimizer declared once, as data: its name, its PyTorch / Optax counterpart, and its options —
 * default, range, whether a schedule may stand for it — beside the function that builds its chain.
 * The constructor's checks and defaults, `defaults` at run time, the live hyperparameters of
 * `injectHyperparams`, the CLI's schema and the Playground's controls are all read from here.
 *
 * The options' TypeScript type is derived from the same object (`OptionsOf`): the doc comment
 * written on an option in the declaration is what an editor shows when the option is typed.
 */
import {
  checkBoolean,
  checkHyper,
  checkInteger,
  checkMask,
  checkNumber,
  checkOptions,
  type Hyper,
  type Interval,
  showValue,
} from "../hyper.js";
import type { AnyTransformation } from "../transform.js";
import type { Mask } from "../tree.js";
import type { FusionSpec } from "./fusion.js";

/** A number option: its range, and whether a schedule of the update count may stand for it. */
export interface NumberOption {
  /** The kind of option. */
  type: "number";
  /** Its default. */
  default: number;
  /** The values allowed, written as an interval: `[0, inf)`, `(0, 1]`… */
  range: Interval;
  /** Whole numbers only. */
  integer: boolean;
  /** A schedule of the update count may stand for it (checked against `range` when read). */
  schedulable: boolean;
  /** null may stand for it (a documented fallback); a nullable option's own default is null. */
  nullable?: boolean;
}

/** A tuple of numbers such as `betas`; an item may be schedulable, or nullable (null: a documented fallback). */
export interface TupleOption {
  /** The kind of option. */
  type: "tuple";
  /** How messages describe it: "a pair [beta1, beta2]". */
  shape: string;
  /** Its default, item by item (null for a nullable item). */
  default: readonly (number | null)[];
  /** Each item as a number option. */
  items: readonly TupleItem[];
}

/** An item of a tuple option. */
export interface TupleItem extends NumberOption {
  /** null may stand for it (a documented fallback). */
  nullable: boolean;
}

/** One option of an optimizer, as data. */
export type OptionSpec =
  | NumberOption
  | TupleOption
  | BooleanOption
  | ChoiceOption
  | MaskOption
  | NestedOption;

/** A boolean option. */
export interface BooleanOption {
  /** The kind of option. */
  type: "boolean";
  /** Its default. */
  default: boolean;
}

/** An option that takes one of a few values (null among them when null has a documented meaning). */
export interface ChoiceOption {
  /** The kind of option. */
  type: "choice";
  /** The values allowed. */
  values: readonly (string | null)[];
  /** Its default. */
  default: string | null;
}

/** Which leaves something applies to: a predicate `(path, leaf) => boolean` or a tree of booleans. */
export interface MaskOption {
  /** The kind of option. */
  type: "mask";
}

/** The options of another declared optimizer, nested (muon's `adamw`). */
export interface NestedOption {
  /** The kind of option. */
  type: "options";
  /** The nested optimizer's declaration. */
  of: () => OptimizerDeclaration;
}

/** An option's spec, carrying (as a type only) the value the user may give. */
export type Option<T> = OptionSpec & {
  /** Never set: the type of the value the option takes, for `OptionsOf`. */
  readonly __value?: T;
};

/** The options object an optimizer takes, derived from its declared options (doc comments carry over). */
export type OptionsOf<O> = { -readonly [K in keyof O]?: O[K] extends Option<infer T> ? T : never };

/** The options after checking, every default filled in (a mask or nested options may stay undefined). */
export type Resolved<O> = {
  -readonly [K in keyof O]: O[K] extends Option<infer T>
    ? O[K] extends MaskOption | NestedOption
      ? T | undefined
      : T
    : never;
};

/** How an optimizer's weight decay acts: see `OptimizerDeclaration.decay`. */
export type DecayKind = "l2" | "decoupled" | "either";

/** An optimizer, declared once (see `declareOptimizer`). */
export interface OptimizerDeclaration<O = Record<string, Option<unknown>>, R = AnyTransformation> {
  /** The constructor's name (`adamw`), used in messages, the CLI and the Playground. */
  name: string;
  /** How people write it ("AdamW"). */
  title: string;
  /** The counterparts it matches: `torch.optim.AdamW`, `optax.adamw`, or the paper's reference code. */
  reference: {
    /** The `torch.optim` class it matches. */
    pytorch?: string;
    /** The Optax function it matches. */
    optax?: string;
    /** The Keras optimizer it matches. */
    keras?: string;
    /** The reference code it follows otherwise (repository and file). */
    code?: string;
  };
  /** Its options, each built with `option.*`; their doc comments are what editors show. */
  options: O;
  /**
   * How its `weightDecay` acts, for those that take one: "l2" (λ·p added to the gradient, before any
   * moment or normalization sees it), "decoupled" (applied outside the preconditioner, as AdamW's),
   * or "either" (the `decoupledWeightDecay` option chooses, default L2).
   */
  decay?: DecayKind;
  /**
   * `true` when it evaluates the objective during a step (L-BFGS): it is stepped with a closure,
   * `step(() => ({ loss, grads }))`, never with gradients alone (minibatch trainers leave it out).
   */
  closure?: boolean;
  /** The chain, from checked options with defaults filled in (cross-option rules are checked here). */
  build(options: Resolved<O>): R;
  /** What the fused kernels run, from the same options; undefined when they do not fuse this configuration. */
  fusion?(options: Resolved<O>): FusionSpec | undefined;
}

/** What `declareOptimizer` returns: the constructor, with its declaration and defaults readable at run time. */
export type DeclaredOptimizer<O, R> = ((options?: OptionsOf<O>) => R) & {
  /** What it was made from. */
  readonly declaration: OptimizerDeclaration<O, R>;
  /** Every option's default (PyTorch's `optimizer.defaults`); masks and nested options have none. */
  readonly defaults: Readonly<Resolved<O>>;
  /** The options a schedule may stand for, `betas[0]` for a tuple's item (what `injectHyperparams` drives). */
  readonly schedulable: readonly string[];
};

// ── Option builders ────────────────────────────────────────────────────────────────────────────

/** A number in `range`; `{ schedulable: true }` lets a schedule of the update count stand for it. */
export function num(
  dflt: number,
  range: Interval,
  how: { schedulable: true; integer?: false },
): Option<Hyper>;
export function num(
  dflt: number,
  range: Interval,
  how?: { schedulable?: false; integer?: boolean },
): Option<number>;
export function num(
  dflt: number,
  range: Interval,
  how: { schedulable?: boolean; integer?: boolean } = {},
): Option<number> | Option<Hyper> {
  return {
    type: "number",
    default: dflt,
    range,
    integer: how.integer ?? false,
    schedulable: how.schedulable ?? false,
  };
}

export function bool(dflt: boolean): Option<boolean> {
  return { type: "boolean", default: dflt };
}

export function choice<const V extends string | null>(values: readonly V[], dflt: V): Option<V> {
  return { type: "choice", values, default: dflt };
}

/** A tuple of numbers; give the items as `num(…)`, `{ ...num(…), nullable: true }` for one that may be null. */
export function tuple<T extends readonly unknown[]>(
  shape: string,
  items: { [K in keyof T]: Option<T[K]> },
): Option<T> {
  const specs = (items as readonly OptionSpec[]).map((s) => {
    if (s.type !== "number") throw new Error("tuple: items are number options");
    return { ...s, nullable: (s as { nullable?: boolean }).nullable ?? false };
  });
  return { type: "tuple", shape, items: specs, default: specs.map((s) => (s.nullable ? null : s.default)) };
}

/** A number (or tuple item) that may be null, its default: null stands for a documented fallback. */
export function nullable(o: Option<number>): Option<number | null> {
  return Object.assign({}, o, { nullable: true, default: null }) as unknown as Option<number | null>;
}

export function mask(): Option<Mask> {
  return { type: "mask" };
}

/** Another optimizer's options, nested. */
export function optionsOf<T>(of: () => OptimizerDeclaration): Option<T> {
  return { type: "options", of };
}

/** β1 (schedulable) and β2, each in [0, 1): the pair Adam-like optimizers take. */
export function betas(b1: number, b2: number): Option<readonly [Hyper, number]> {
  return tuple<readonly [Hyper, number]>("a pair [beta1, beta2]", [
    num(b1, "[0, 1)", { schedulable: true }),
    num(b2, "[0, 1)"),
  ]);
}

/** The option builders, for declaring an optimizer of your own with `declareOptimizer`. */
export const option = {
  /** A number in a range; `{ schedulable: true }` lets a schedule stand for it, `{ integer: true }` wants whole numbers. */
  number: num,
  /** A boolean. */
  boolean: bool,
  /** One of a few values. */
  choice,
  /** A tuple of number options (`tuple("a pair [a, b]", [option.number(…), …])`). */
  tuple,
  /** A tuple item that may be null. */
  nullable,
  /** A mask: which leaves something applies to. */
  mask,
  /** Adam's (β1, β2) pair, β1 schedulable. */
  betas,
  /** Another declared optimizer's options, nested. */
  options: optionsOf,
};

// ── Checking ──────────────────────────────────────────────────────────────────────────────────

function checkTuple(owner: string, name: string, spec: TupleOption, value: unknown): (Hyper | null)[] {
  if (!Array.isArray(value) || value.length !== spec.items.length) {
    throw new RangeError(`${owner}: ${name} must be ${spec.shape}, got ${showValue(value)}`);
  }
  return spec.items.map((item, i) =>
    item.nullable && value[i] === null ? null : (checkOne(owner, `${name}[${i}]`, item, value[i]) as Hyper),
  );
}

function checkOne(owner: string, name: string, spec: OptionSpec, value: unknown): unknown {
  switch (spec.type) {
    case "number":
      if (spec.nullable && value === null) return null;
      if (spec.schedulable) return checkHyper(owner, name, value, spec.range);
      return spec.integer
        ? checkInteger(owner, name, value, spec.range)
        : checkNumber(owner, name, value, spec.range);
    case "boolean":
      return checkBoolean(owner, name, value);
    case "choice":
      if (!spec.values.includes(value as string | null)) {
        const words = spec.values.map((v) => JSON.stringify(v));
        const list = words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : words[0];
        throw new RangeError(`${owner}: ${name} must be ${list}, got ${showValue(value)}`);
      }
      return value;
    case "tuple":
      return checkTuple(owner, name, spec, value);
    case "mask":
      checkMask(owner, name, value);
      return value;
    case "options":
      if (value !== undefined && (value === null || typeof value !== "object" || Array.isArray(value))) {
        throw new TypeError(`${owner}: ${name} must be an options object for ${spec.of().name}(...)`);
      }
      return value === undefined
        ? undefined
        : checkOptions(`${owner}: ${name}`, value, optionNames(spec.of()));
  }
}

/** The names an optimizer's options object may hold, in declaration order. */
export function optionNames(d: Pick<OptimizerDeclaration, "options">): string[] {
  return Object.keys(d.options);
}

/** An option's default, or undefined for a mask or nested options. */
export function defaultOf(spec: OptionSpec): unknown {
  return "default" in spec ? spec.default : undefined;
}

/**
 * Checks an options object against the declaration — unknown names (with a suggestion), nulls where
 * null is not a choice, types and ranges (a schedule is range-checked when read) — and fills in
 * the defaults. Throws before anything is built.
 */
export function resolveOptions<O>(d: OptimizerDeclaration<O, unknown>, options: unknown): Resolved<O> {
  const specs = d.options as Record<string, OptionSpec>;
  const nullableNames = Object.keys(specs).filter((k) => {
    const s = specs[k]!;
    return (s.type === "choice" && s.values.includes(null)) || (s.type === "number" && s.nullable === true);
  });
  const given = checkOptions(
    d.name,
    options as object | undefined,
    Object.keys(specs),
    nullableNames,
  ) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = given[name];
    out[name] = v === undefined ? defaultOf(spec) : checkOne(d.name, name, spec, v);
  }
  return out as Resolved<O>;
}

/**
 * Makes an optimizer's constructor from its declaration: checks the options, fills the defaults,
 * builds the chain and attaches what the fused kernels run.
 */
export function declareOptimizer<O extends Record<string, Option<unknown>>, R extends AnyTransformation>(
  d: OptimizerDeclaration<O, R>,
): DeclaredOptimizer<O, R> {
  const create = (options?: OptionsOf<O>): R => {
    const resolved = resolveOptions(d, options);
    const tx = d.build(resolved);
    const spec = d.fusion?.(resolved);
    // A chosen state dtype (and its rounding seed) is recorded in the spec: the kernels run the
    // storages their kind declares, and leave the others to the chain (see `plan`).
    const { stateDtype, stateSeed } = resolved as {
      stateDtype?: FusionSpec["stateDtype"] | null;
      stateSeed?: number;
    };
    if (!spec) return tx;
    return Object.assign(tx, {
      fusion: stateDtype != null ? { ...spec, stateDtype, stateSeed: stateSeed ?? 0 } : spec,
    });
  };
  const defaults = Object.freeze(
    Object.fromEntries(
      Object.entries(d.options as Record<string, OptionSpec>).map(([k, s]) => [k, defaultOf(s)]),
    ),
  ) as Readonly<Resolved<O>>;
  Object.defineProperty(create, "name", { value: d.name });
  const schedulable = Object.freeze(schedulableNames(d));
  return Object.assign(create, { declaration: d, defaults, schedulable });
}

/** The declaration of an optimizer constructor, if it is one `declareOptimizer` made. */
export function declarationOf(f: unknown): OptimizerDeclaration | undefined {
  if (typeof f !== "function") return undefined;
  const d = (f as { declaration?: unknown }).declaration;
  return d && typeof d === "object" && typeof (d as OptimizerDeclaration).build === "function"
    ? (d as OptimizerDeclaration)
    : undefined;
}

/**
 * The names `injectHyperparams` may drive with a schedule: the schedulable numbers, and the
 * schedulable items of tuples as `name[i]` (`betas[0]`).
 */
export function schedulableNames(d: Pick<OptimizerDeclaration, "options">): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(d.options as Record<string, OptionSpec>)) {
    if (spec.type === "number" && spec.schedulable) out.push(name);
    if (spec.type === "tuple") {
      for (const [i, it] of spec.items.entries()) if (it.schedulable) out.push(`${name}[${i}]`);
    }
  }
  return out;
}
