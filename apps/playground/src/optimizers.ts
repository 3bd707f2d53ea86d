/**
 * The racers: every optimizer the library declares (see `declareOptimizer`), each built by the
 * library's own constructor, its controls read from its declaration — names, defaults, ranges,
 * integers, choices. What the Playground adds is staging: a one-line note on what to watch, an lr
 * that suits a 2-D landscape, slider bounds where a range is unbounded, which options a racer
 * shows, and a few variants (Momentum, Nesterov, Adam + L2) built on a declared optimizer. An
 * optimizer the library adds races here without an edit (with its title and reference as its note).
 * Nothing here computes an update.
 */
import * as momenta from "momenta-optim";
import {
  type AnyTransformation,
  declarationOf,
  type Hyper,
  type OptimizerDeclaration,
  type OptionSpec,
} from "momenta-optim";
import { fmt, type Spec, type Values } from "./spec.ts";

/** What the inspector may derive from the state: Adam's bias-corrected moments, RMSprop's or Adagrad's accumulator. */
export type Internals = "adam" | "rmsprop" | "adagrad" | "none";

export interface OptimizerKind {
  id: string;
  name: string;
  /** The library function called. */
  fn: string;
  /** One line: what to watch for. */
  note: string;
  hp: readonly Spec[];
  internals: Internals;
  /** Weight decay: none, decoupled (p·(1 − lr·λ)) or L2 (λp added to the gradient). */
  decay: "none" | "decoupled" | "l2";
  /** Muon orthogonalizes matrices: its point is a 1×2 matrix leaf. */
  matrix?: boolean;
  /** Whether a schedule may stand for lr (declared; Rprop's and ASGD's lr only starts their own step sizes). */
  lrSchedulable: boolean;
  /** The call as source text, when it is not `fn(options)` (SAM wraps one). */
  code?(options: Record<string, unknown>): string;
  /** The constructor's options (lr may be a schedule when `lrSchedulable`). */
  options(hp: Values, lr: Hyper): Record<string, unknown>;
  build(options: Record<string, unknown>): AnyTransformation;
}

/** How a racer is staged on top of its declared optimizer. */
interface Staging {
  /** The racer's id in links (default: the optimizer's name). */
  id?: string;
  /** Shown name (default: the declaration's title). */
  name?: string;
  note: string;
  /** The lr the racer starts with: 2-D landscapes want larger steps than networks. */
  lr: number;
  /** The options shown as controls, in order (default: every option the Playground can show). */
  show?: readonly string[];
  /** Values given to the constructor without a control. */
  fixed?: Record<string, unknown>;
  /** Wrapped in `sam(…, { rho })`, with a ρ control defaulting to this. */
  sam?: number;
  /** Defaults of the shown controls that differ from the library's (a variant's momentum). */
  defaults?: Record<string, number | boolean>;
  internals?: Internals;
  matrix?: boolean;
  /** Per option, a hint under its control. */
  hints?: Record<string, string>;
  /**
   * A racer's own slider bounds: where a rule across options narrows one (Nesterov needs momentum
   * > 0), or where an option's name means another range (AdEMAMix's α is a weight, RMSprop's a rate).
   */
  bounds?: Record<string, { min?: number; max?: number; step?: number }>;
}

const L2 = "L2: λp enters the gradient, so the moments see it";
const DECOUPLED = "decoupled: p ← p·(1 − lr·λ), outside the moments";

/** Each declared optimizer's racer(s), in the order the menu lists them. */
const STAGING: Record<string, Staging[]> = {
  sgd: [
    {
      note: "p ← p − lr·g: steps proportional to the slope; zig-zags across ravines.",
      lr: 0.01,
      show: ["lr"],
    },
    {
      id: "momentum",
      name: "Momentum",
      note: "A heavy ball: velocity accumulates along the valley floor and cancels across it.",
      lr: 0.01,
      show: ["lr", "momentum", "dampening", "stateDtype"],
      defaults: { momentum: 0.9 },
    },
    {
      id: "samMomentum",
      name: "SAM (momentum)",
      note: "Sharpness-aware: each step uses the gradient at p + ρ·g/‖g‖, the worst point nearby, so it settles where the bowl is wide.",
      lr: 0.01,
      show: ["lr", "momentum"],
      defaults: { momentum: 0.9 },
      sam: 0.1,
    },
    {
      id: "nesterov",
      name: "Nesterov",
      note: "Momentum that looks ahead: the correction arrives one step earlier.",
      lr: 0.01,
      show: ["lr", "momentum"],
      defaults: { momentum: 0.9 },
      fixed: { nesterov: true },
      bounds: { momentum: { min: 0.01 } },
    },
  ],
  adagrad: [
    {
      note: "Divides by the root of all squared gradients so far: the brake only ever tightens.",
      lr: 0.5,
      show: ["lr", "initialAccumulatorValue", "eps", "stateDtype"],
      internals: "adagrad",
    },
  ],
  rmsprop: [
    {
      note: "A per-direction brake from a moving average of g²: it forgets, unlike Adagrad.",
      lr: 0.01,
      show: ["lr", "alpha", "eps", "momentum", "centered", "stateDtype"],
      internals: "rmsprop",
    },
  ],
  adam: [
    {
      note: "Momentum divided by a per-direction brake √v̂: steps of about lr whatever the slope.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "amsgrad", "stateDtype"],
      internals: "adam",
    },
    {
      id: "adamL2",
      name: "Adam + L2",
      note: "Adam with weight decay in the gradient: the brake divides the decay too.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "weightDecay"],
      defaults: { weightDecay: 0.1 },
      internals: "adam",
      hints: { weightDecay: L2 },
    },
  ],
  adamw: [
    {
      note: "Adam with decoupled decay: every weight shrinks by lr·λ per step, brake or not.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "weightDecay", "stateDtype"],
      defaults: { weightDecay: 0.1 },
      internals: "adam",
      hints: { weightDecay: DECOUPLED },
    },
  ],
  nadam: [{ note: "Adam with Nesterov momentum.", lr: 0.05, show: ["lr", "betas", "eps"] }],
  radam: [
    {
      note: "Adam that starts as SGD-with-momentum until v̂ is trustworthy.",
      lr: 0.05,
      show: ["lr", "betas", "eps"],
    },
  ],
  adamax: [
    {
      note: "Adam with an infinity-norm brake: the largest recent |g| per direction.",
      lr: 0.05,
      show: ["lr", "betas", "eps"],
    },
  ],
  adadelta: [
    { note: "Units-matched steps: the ratio of two running RMSs.", lr: 1, show: ["lr", "rho", "eps"] },
  ],
  sgdw: [
    {
      note: "SGD with momentum and decoupled weight decay.",
      lr: 0.01,
      show: ["lr", "momentum", "weightDecay"],
      defaults: { momentum: 0.9, weightDecay: 0.1 },
      hints: { weightDecay: DECOUPLED },
    },
  ],
  lion: [
    {
      note: "Every coordinate moves by exactly ±lr: the sign of an interpolated momentum.",
      lr: 0.01,
      show: ["lr", "betas", "weightDecay", "stateDtype"],
      hints: { weightDecay: DECOUPLED },
    },
  ],
  lamb: [
    {
      note: "Adam's step rescaled to lr·‖p‖: a relative step, small near the origin.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "weightDecay", "stateDtype"],
      hints: { weightDecay: "inside the trust ratio" },
    },
  ],
  adafactor: [
    {
      note: "A relative step min(lr, 1/√t) × RMS(p), with a β2 that grows with t.",
      lr: 0.05,
      show: ["lr", "beta2Decay", "d"],
    },
  ],
  muon: [
    {
      note: "Orthogonalized momentum; on a 1×2 matrix that is a normalized direction.",
      lr: 0.05,
      show: ["lr", "momentum", "nesterov", "weightDecay"],
      defaults: { weightDecay: 0 },
      matrix: true,
      hints: { weightDecay: DECOUPLED },
    },
  ],
  yogi: [
    {
      note: "Adam whose v moves toward g² by a bounded step: a burst cannot silence it for long.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "initialAccumulatorValue"],
    },
  ],
  adabelief: [
    {
      note: "Divides by the spread of g around its average: big steps where the slope is predictable.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "nesterov"],
    },
  ],
  adan: [
    {
      note: "Nesterov momentum from the change of the gradient between steps.",
      lr: 0.05,
      show: ["lr", "betas", "eps"],
    },
  ],
  adopt: [
    {
      note: "Normalizes by the past gradients' v, then takes momentum; the first step only measures.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "useClipping"],
    },
  ],
  ademamix: [
    {
      note: "Adam plus α × a slow average of the gradient: old gradients keep pushing.",
      lr: 0.05,
      show: ["lr", "betas", "alpha", "eps"],
      bounds: { alpha: { min: 0, max: 20, step: 0.5 } },
    },
  ],
  prodigy: [
    {
      note: "No lr to tune: the step D grows from 1e-6 to an estimate of the distance to the minimum.",
      lr: 1,
      show: ["lr", "betas", "d0", "dCoef"],
    },
  ],
  dadaptAdamw: [
    {
      note: "D-Adaptation: Adam whose step size is estimated from the gradients; lr is a multiplier.",
      lr: 1,
      show: ["lr", "betas", "d0"],
    },
  ],
  soap: [
    {
      note: "Adam in the eigenbasis of Shampoo's preconditioner: rotated ravines look axis-aligned to it.",
      lr: 0.05,
      show: ["lr", "betas", "preconditionFrequency"],
      fixed: { precondition1d: true },
    },
  ],
  ftrl: [
    {
      note: "Follow the regularized leader: params recomputed from a running sum; L1 snaps coordinates to 0.",
      lr: 0.5,
      show: [
        "lr",
        "lrPower",
        "initialAccumulatorValue",
        "l1RegularizationStrength",
        "l2RegularizationStrength",
      ],
    },
  ],
  lars: [
    {
      note: "Each step is lr·η·‖p‖ long whatever the gradient's size: a relative step, then momentum.",
      lr: 5,
      show: ["lr", "trustCoefficient", "momentum", "nesterov", "weightDecay"],
      hints: { weightDecay: "enters the trust ratio" },
    },
  ],
  rprop: [
    {
      note: "Signs only: each coordinate's step grows ×1.2 while its gradient keeps its sign and halves when it flips.",
      lr: 0.05,
      show: ["lr", "etas", "stepSizes"],
    },
  ],
  asgd: [
    {
      note: "SGD whose step falls as lr/(1 + λ·lr·t)^α; after t0 steps it also keeps the running average of its iterates.",
      lr: 0.05,
      show: ["lr", "lambd", "alpha", "t0", "weightDecay"],
      hints: { weightDecay: L2 },
    },
  ],
  lbfgs: [
    {
      name: "L-BFGS",
      note: "A quasi-Newton step from the last few (step, gradient change) pairs, at a fixed length lr; one iteration per step here.",
      lr: 0.1,
      show: ["lr", "historySize"],
      fixed: { maxIter: 1 },
    },
    {
      id: "lbfgsWolfe",
      name: "L-BFGS + strong Wolfe",
      note: "L-BFGS with PyTorch's strong-Wolfe line search: each step evaluates until the loss falls enough and the slope flattens.",
      lr: 1,
      show: ["lr", "historySize"],
      fixed: { maxIter: 1, lineSearchFn: "strong_wolfe" },
    },
  ],
  scheduleFreeAdamw: [
    {
      id: "scheduleFree",
      name: "Schedule-free AdamW",
      note: "Gradients at y, an interpolation of the fast z and the average x: no decay schedule.",
      lr: 0.05,
      show: ["lr", "betas", "eps", "warmupSteps", "weightDecay"],
      hints: { weightDecay: DECOUPLED },
    },
  ],
};

/** Labels and slider bounds the declarations leave to the page (the ranges themselves are declared). */
/** How a select shows a choice's null (its documented fallback: stateDtype's is the params' dtype). */
const NULL_CHOICE = "default";

const LABELS: Record<string, string> = {
  stateDtype: "state stored as",
  lr: "lr",
  eps: "ε",
  weightDecay: "weight decay λ",
  alpha: "α",
  rho: "ρ",
  d0: "D₀ (initial step estimate)",
  lrPower: "lr power",
  preconditionFrequency: "basis refresh every",
  l1RegularizationStrength: "L1 λ1",
  l2RegularizationStrength: "L2 λ2",
  dCoef: "D multiplier",
  beta2Decay: "β2 decay",
  d: "clip d",
  amsgrad: "AMSGrad",
  nesterov: "Nesterov",
  initialAccumulatorValue: "initial accumulator",
  warmupSteps: "warmup steps",
  "betas[0]": "β1",
  "betas[1]": "β2",
  "betas[2]": "β3",
  trustCoefficient: "trust coefficient η",
  useClipping: "clip",
};
/** Control keys of tuple items: betas' are β1 and β2 (the links' names). */
const ITEM_KEYS: Record<string, readonly string[]> = { betas: ["beta1", "beta2", "beta3"] };
/** Bounds of a slider where the declared range is unbounded or too wide to drag across. */
const BOUNDS: Record<string, { min: number; max: number; log?: boolean; step?: number }> = {
  lr: { min: 1e-6, max: 10, log: true },
  eps: { min: 0, max: 1, log: true },
  weightDecay: { min: 0, max: 10, step: 0.01 },
  momentum: { min: 0, max: 0.999, step: 0.01 },
  dampening: { min: 0, max: 1, step: 0.1 },
  alpha: { min: 0, max: 0.9999, step: 0.01 },
  rho: { min: 0, max: 0.9999, step: 0.01 },
  "betas[0]": { min: 0, max: 0.9999, step: 0.01 },
  "betas[1]": { min: 0, max: 0.99999, step: 0.001 },
  initialAccumulatorValue: { min: 0, max: 100, step: 0.1 },
  beta2Decay: { min: -1, max: 0, step: 0.1 },
  d: { min: 1, max: 100, step: 0.1 },
  warmupSteps: { min: 0, max: 1000, step: 1 },
  "betas[2]": { min: 0, max: 0.99999, step: 0.001 },
  trustCoefficient: { min: 1e-4, max: 1, log: true },
  d0: { min: 1e-8, max: 1, log: true },
  lrPower: { min: -1, max: 0, step: 0.05 },
  preconditionFrequency: { min: 1, max: 100, step: 1 },
  l1RegularizationStrength: { min: 0, max: 10, step: 0.01 },
  l2RegularizationStrength: { min: 0, max: 10, step: 0.01 },
  dCoef: { min: 0.1, max: 10, log: true },
};
/** Options a 2-D race has no use for: it minimizes, decays every leaf, and has no nested optimizers. */
// stateSeed seeds compact state's rounding, which stateDtype (null by default: no select) turns on
const NOT_SHOWN = new Set(["maximize", "mask", "muonMask", "adamw", "stateSeed"]);

/** A number control: the declared range, narrowed to the page's slider bounds where it has some. */
function numberSpec(key: string, name: string, range: string, dflt: number, integer: boolean): Spec {
  const m = /^([[(])\s*(-?inf|[-+0-9.e]+)\s*,\s*(-?inf|[-+0-9.e]+)\s*([\])])$/.exec(range);
  if (!m) throw new Error(`${name}: bad range ${range}`);
  const lo = m[2] === "-inf" ? -Infinity : Number(m[2]);
  const hi = m[3] === "inf" ? Infinity : Number(m[3]);
  const b = BOUNDS[name];
  const span = 10 * Math.max(1, Math.abs(dflt));
  // inside the range: an open end is approached, never reached
  let min = Math.max(b?.min ?? -span, lo);
  let max = Math.min(b?.max ?? span, hi);
  if (min === lo && m[1] === "(") min = lo + 1e-4 * (max - lo);
  if (max === hi && m[4] === ")") max = hi - 1e-4 * (hi - min);
  return {
    key,
    label: LABELS[name] ?? name,
    type: "number",
    min,
    max,
    default: dflt,
    ...(b?.log ? { log: true } : { step: b?.step ?? (integer ? 1 : 0.01) }),
    ...(integer ? { int: true } : {}),
  };
}

/** The controls for one declared option (a tuple gives one per item; options with no control give none). */
function controlsOf(name: string, spec: OptionSpec): Spec[] {
  switch (spec.type) {
    case "number":
      // null means "the documented fallback", which a slider cannot hold: left at its default
      if (spec.nullable) return [];
      return [numberSpec(name, name, spec.range, spec.default, spec.integer)];
    case "boolean":
      return [{ key: name, label: LABELS[name] ?? name, type: "bool", default: spec.default }];
    case "choice":
      // null, "the documented fallback", shows as NULL_CHOICE (`options` turns it back)
      return [
        {
          key: name,
          label: LABELS[name] ?? name,
          type: "choice",
          options: spec.values.map((v) => v ?? NULL_CHOICE),
          default: spec.default ?? NULL_CHOICE,
        },
      ];
    case "tuple":
      return spec.items.flatMap((it, i) =>
        it.nullable
          ? []
          : [
              numberSpec(
                ITEM_KEYS[name]?.[i] ?? `${name}${i + 1}`,
                `${name}[${i}]`,
                it.range,
                spec.default[i] as number,
                it.integer,
              ),
            ],
      );
    default:
      return [];
  }
}

/** How the racer's weight decay acts, as the optimizer declares it ("either": the racer's decoupledWeightDecay). */
function decayKind(d: OptimizerDeclaration, st: Staging): OptimizerKind["decay"] {
  if (d.decay === "either") return st.fixed?.decoupledWeightDecay === true ? "decoupled" : "l2";
  return d.decay ?? "none";
}

function kindOf(name: string, f: unknown, d: OptimizerDeclaration, st: Staging): OptimizerKind {
  const specs = d.options as Record<string, OptionSpec>;
  const shown = (st.show ?? Object.keys(specs).filter((k) => !NOT_SHOWN.has(k))).filter((k) => k in specs);
  const hp = shown.flatMap((k) =>
    controlsOf(k, specs[k]!).map((c) => {
      const dflt = k === "lr" ? st.lr : st.defaults?.[c.key];
      const hint = st.hints?.[k];
      return {
        ...c,
        ...(dflt !== undefined ? { default: dflt } : {}),
        ...(hint ? { hint } : {}),
        ...st.bounds?.[c.key],
      } as Spec;
    }),
  );
  if (st.sam !== undefined)
    hp.push({
      ...numberSpec("rho", "rho", "[0, inf)", st.sam, false),
      label: "SAM ρ",
      min: 0,
      max: 1,
    } as Spec);
  const decay = shown.includes("weightDecay") ? decayKind(d, st) : "none";
  return {
    id: st.id ?? name,
    name: st.name ?? d.title,
    fn: name,
    note: st.note,
    hp,
    internals: st.internals ?? "none",
    decay,
    ...(st.matrix ? { matrix: true } : {}),
    lrSchedulable: (specs.lr as { schedulable?: boolean } | undefined)?.schedulable === true,
    options(values, lr) {
      const o: Record<string, unknown> = { lr };
      for (const k of shown) {
        const spec = specs[k]!;
        if (k === "lr") continue;
        if (spec.type === "tuple") {
          o[k] = spec.items.map((it, i) =>
            it.nullable ? spec.default[i] : values[ITEM_KEYS[k]?.[i] ?? `${k}${i + 1}`],
          );
        } else if (spec.type === "choice" && values[k] === NULL_CHOICE) {
          // the fallback: left out, as a user would write it
        } else if (hp.some((c) => c.key === k)) o[k] = values[k];
      }
      if (st.sam !== undefined) o.rho = values.rho;
      return { ...o, ...st.fixed };
    },
    ...(st.sam !== undefined
      ? {
          // SAM wraps the optimizer: rho is sam's option, the rest the optimizer's
          build: (options: Record<string, unknown>) => {
            const { rho, ...inner } = options;
            return momenta.sam((f as (o: object) => AnyTransformation)(inner), { rho: rho as number });
          },
          code: (options: Record<string, unknown>) => {
            const { rho, ...inner } = options;
            return `sam(${callText(name, inner)}, { rho: ${fmt(rho as number)} })`;
          },
        }
      : { build: (options: Record<string, unknown>) => (f as (o: object) => AnyTransformation)(options) }),
  };
}

/** The declared optimizers of the library's public API, by name. */
const DECLARED = Object.entries(momenta).flatMap(([name, f]) => {
  const d = declarationOf(f);
  return d ? [{ name, f, d }] : [];
});

export const OPTIMIZERS: readonly OptimizerKind[] = [
  // the staged ones in their order, then any declared optimizer not staged yet
  ...Object.keys(STAGING).flatMap((name) => {
    const x = DECLARED.find((e) => e.name === name);
    return x ? STAGING[name]!.map((st) => kindOf(x.name, x.f, x.d, st)) : [];
  }),
  ...DECLARED.filter((x) => !(x.name in STAGING)).map((x) =>
    kindOf(x.name, x.f, x.d, {
      note: `${x.d.title} (${Object.values(x.d.reference).join("; ")}).`,
      lr: 0.05,
    }),
  ),
];

export function optimizerKind(id: string): OptimizerKind {
  const k = OPTIMIZERS.find((o) => o.id === id);
  if (!k) throw new RangeError(`unknown optimizer ${JSON.stringify(id)}`);
  return k;
}

/** The constructor call as source text, e.g. `adamw({ lr: 0.05, betas: [0.9, 0.999], … })`. */
export function callText(fn: string, options: Record<string, unknown>): string {
  const show = (v: unknown): string =>
    typeof v === "function"
      ? "schedule"
      : typeof v === "number"
        ? fmt(v)
        : Array.isArray(v)
          ? `[${v.map(show).join(", ")}]`
          : typeof v === "string"
            ? JSON.stringify(v)
            : String(v);
  const parts = Object.entries(options).map(([k, v]) => `${k}: ${show(v)}`);
  return `${fn}({ ${parts.join(", ")} })`;
}
