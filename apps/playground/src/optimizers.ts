/**
 * The racers: every optimizer the library has, each built by the library's own constructor. Nothing
 * here computes an update — a kind only maps the editable hyperparameters to constructor options.
 */
import {
  type AnyTransformation,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamax,
  adamw,
  type Hyper,
  lamb,
  lion,
  muon,
  nadam,
  radam,
  rmsprop,
  scheduleFreeAdamw,
  sgd,
  sgdw,
} from "momenta-optim";
import { bool, fmt, num, type Spec, type Values } from "./spec.ts";

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
  /** The constructor's options (lr may be a schedule). */
  options(hp: Values, lr: Hyper): Record<string, unknown>;
  build(options: Record<string, unknown>): AnyTransformation;
}

const lr = (d: number): Spec => ({
  key: "lr",
  label: "lr",
  type: "number",
  min: 1e-6,
  max: 10,
  default: d,
  log: true,
});
const beta1 = (d = 0.9): Spec => ({
  key: "beta1",
  label: "β1",
  type: "number",
  min: 0,
  max: 0.9999,
  default: d,
  step: 0.01,
});
const beta2 = (d = 0.999): Spec => ({
  key: "beta2",
  label: "β2",
  type: "number",
  min: 0,
  max: 0.99999,
  default: d,
  step: 0.001,
});
const eps = (d = 1e-8): Spec => ({
  key: "eps",
  label: "ε",
  type: "number",
  min: 0,
  max: 1,
  default: d,
  log: true,
});
const wd = (d: number, hint: string): Spec => ({
  key: "weightDecay",
  label: "weight decay λ",
  type: "number",
  min: 0,
  max: 10,
  default: d,
  step: 0.01,
  hint,
});
const momentum = (d: number): Spec => ({
  key: "momentum",
  label: "momentum",
  type: "number",
  min: 0,
  max: 0.999,
  default: d,
  step: 0.01,
});
const betas = (hp: Values) => [num(hp, "beta1"), num(hp, "beta2")] as const;

const L2 = "L2: λp enters the gradient, so the moments see it";
const DECOUPLED = "decoupled: p ← p·(1 − lr·λ), outside the moments";

export const OPTIMIZERS: readonly OptimizerKind[] = [
  {
    id: "sgd",
    name: "SGD",
    fn: "sgd",
    note: "p ← p − lr·g: steps proportional to the slope; zig-zags across ravines.",
    hp: [lr(0.01)],
    internals: "none",
    decay: "none",
    options: (_hp, lr) => ({ lr }),
    build: (o) => sgd(o),
  },
  {
    id: "momentum",
    name: "Momentum",
    fn: "sgd",
    note: "A heavy ball: velocity accumulates along the valley floor and cancels across it.",
    hp: [
      lr(0.01),
      momentum(0.9),
      { key: "dampening", label: "dampening", type: "number", min: 0, max: 1, default: 0, step: 0.1 },
    ],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, momentum: num(hp, "momentum"), dampening: num(hp, "dampening") }),
    build: (o) => sgd(o),
  },
  {
    id: "nesterov",
    name: "Nesterov",
    fn: "sgd",
    note: "Momentum that looks ahead: the correction arrives one step earlier.",
    hp: [lr(0.01), momentum(0.9)],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, momentum: num(hp, "momentum"), nesterov: true }),
    build: (o) => sgd(o),
  },
  {
    id: "adagrad",
    name: "Adagrad",
    fn: "adagrad",
    note: "Divides by the root of all squared gradients so far: the brake only ever tightens.",
    hp: [
      lr(0.5),
      {
        key: "initialAccumulatorValue",
        label: "initial accumulator",
        type: "number",
        min: 0,
        max: 100,
        default: 0,
        step: 0.1,
      },
      eps(1e-10),
    ],
    internals: "adagrad",
    decay: "none",
    options: (hp, lr) => ({
      lr,
      initialAccumulatorValue: num(hp, "initialAccumulatorValue"),
      eps: num(hp, "eps"),
    }),
    build: (o) => adagrad(o),
  },
  {
    id: "rmsprop",
    name: "RMSprop",
    fn: "rmsprop",
    note: "A per-direction brake from a moving average of g²: it forgets, unlike Adagrad.",
    hp: [
      lr(0.01),
      { key: "alpha", label: "α", type: "number", min: 0, max: 0.9999, default: 0.99, step: 0.01 },
      eps(),
      momentum(0),
      { key: "centered", label: "centered", type: "bool", default: false },
    ],
    internals: "rmsprop",
    decay: "none",
    options: (hp, lr) => ({
      lr,
      alpha: num(hp, "alpha"),
      eps: num(hp, "eps"),
      momentum: num(hp, "momentum"),
      centered: bool(hp, "centered"),
    }),
    build: (o) => rmsprop(o),
  },
  {
    id: "adam",
    name: "Adam",
    fn: "adam",
    note: "Momentum divided by a per-direction brake √v̂: steps of about lr whatever the slope.",
    hp: [
      lr(0.05),
      beta1(),
      beta2(),
      eps(),
      { key: "amsgrad", label: "AMSGrad", type: "bool", default: false },
    ],
    internals: "adam",
    decay: "none",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps"), amsgrad: bool(hp, "amsgrad") }),
    build: (o) => adam(o),
  },
  {
    id: "adamL2",
    name: "Adam + L2",
    fn: "adam",
    note: "Adam with weight decay in the gradient: the brake divides the decay too.",
    hp: [lr(0.05), beta1(), beta2(), eps(), wd(0.1, L2)],
    internals: "adam",
    decay: "l2",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps"), weightDecay: num(hp, "weightDecay") }),
    build: (o) => adam(o),
  },
  {
    id: "adamw",
    name: "AdamW",
    fn: "adamw",
    note: "Adam with decoupled decay: every weight shrinks by lr·λ per step, brake or not.",
    hp: [lr(0.05), beta1(), beta2(), eps(), wd(0.1, DECOUPLED)],
    internals: "adam",
    decay: "decoupled",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps"), weightDecay: num(hp, "weightDecay") }),
    build: (o) => adamw(o),
  },
  {
    id: "nadam",
    name: "NAdam",
    fn: "nadam",
    note: "Adam with Nesterov momentum.",
    hp: [lr(0.05), beta1(), beta2(), eps()],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps") }),
    build: (o) => nadam(o),
  },
  {
    id: "radam",
    name: "RAdam",
    fn: "radam",
    note: "Adam that starts as SGD-with-momentum until v̂ is trustworthy.",
    hp: [lr(0.05), beta1(), beta2(), eps()],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps") }),
    build: (o) => radam(o),
  },
  {
    id: "adamax",
    name: "Adamax",
    fn: "adamax",
    note: "Adam with an infinity-norm brake: the largest recent |g| per direction.",
    hp: [lr(0.05), beta1(), beta2(), eps()],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps") }),
    build: (o) => adamax(o),
  },
  {
    id: "adadelta",
    name: "Adadelta",
    fn: "adadelta",
    note: "Units-matched steps: the ratio of two running RMSs.",
    hp: [
      lr(1),
      { key: "rho", label: "ρ", type: "number", min: 0, max: 0.9999, default: 0.9, step: 0.01 },
      eps(1e-6),
    ],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, rho: num(hp, "rho"), eps: num(hp, "eps") }),
    build: (o) => adadelta(o),
  },
  {
    id: "sgdw",
    name: "SGDW",
    fn: "sgdw",
    note: "SGD with momentum and decoupled weight decay.",
    hp: [lr(0.01), momentum(0.9), wd(0.1, DECOUPLED)],
    internals: "none",
    decay: "decoupled",
    options: (hp, lr) => ({ lr, momentum: num(hp, "momentum"), weightDecay: num(hp, "weightDecay") }),
    build: (o) => sgdw(o),
  },
  {
    id: "lion",
    name: "Lion",
    fn: "lion",
    note: "Every coordinate moves by exactly ±lr: the sign of an interpolated momentum.",
    hp: [lr(0.01), beta1(0.9), beta2(0.99), wd(0, DECOUPLED)],
    internals: "none",
    decay: "decoupled",
    options: (hp, lr) => ({ lr, betas: betas(hp), weightDecay: num(hp, "weightDecay") }),
    build: (o) => lion(o),
  },
  {
    id: "lamb",
    name: "LAMB",
    fn: "lamb",
    note: "Adam's step rescaled to lr·‖p‖: a relative step, small near the origin.",
    hp: [lr(0.05), beta1(), beta2(), eps(1e-6), wd(0, "inside the trust ratio")],
    internals: "none",
    decay: "decoupled",
    options: (hp, lr) => ({ lr, betas: betas(hp), eps: num(hp, "eps"), weightDecay: num(hp, "weightDecay") }),
    build: (o) => lamb(o),
  },
  {
    id: "adafactor",
    name: "Adafactor",
    fn: "adafactor",
    note: "A relative step min(lr, 1/√t) × RMS(p), with a β2 that grows with t.",
    hp: [
      lr(0.05),
      { key: "beta2Decay", label: "β2 decay", type: "number", min: -1, max: 0, default: -0.8, step: 0.1 },
      { key: "d", label: "clip d", type: "number", min: 0.01, max: 100, default: 1, step: 0.1 },
    ],
    internals: "none",
    decay: "none",
    options: (hp, lr) => ({ lr, beta2Decay: num(hp, "beta2Decay"), d: num(hp, "d") }),
    build: (o) => adafactor(o),
  },
  {
    id: "muon",
    name: "Muon",
    fn: "muon",
    note: "Orthogonalized momentum; on a 1×2 matrix that is a normalized direction.",
    hp: [
      lr(0.05),
      momentum(0.95),
      { key: "nesterov", label: "Nesterov", type: "bool", default: true },
      wd(0, DECOUPLED),
    ],
    internals: "none",
    decay: "decoupled",
    matrix: true,
    options: (hp, lr) => ({
      lr,
      momentum: num(hp, "momentum"),
      nesterov: bool(hp, "nesterov"),
      weightDecay: num(hp, "weightDecay"),
    }),
    build: (o) => muon(o),
  },
  {
    id: "scheduleFree",
    name: "Schedule-free AdamW",
    fn: "scheduleFreeAdamw",
    note: "Gradients at y, an interpolation of the fast z and the average x: no decay schedule.",
    hp: [
      lr(0.05),
      beta1(),
      beta2(),
      eps(),
      {
        key: "warmupSteps",
        label: "warmup steps",
        type: "number",
        min: 0,
        max: 1000,
        default: 0,
        step: 1,
        int: true,
      },
      wd(0, DECOUPLED),
    ],
    internals: "none",
    decay: "decoupled",
    options: (hp, lr) => ({
      lr,
      betas: betas(hp),
      eps: num(hp, "eps"),
      warmupSteps: num(hp, "warmupSteps"),
      weightDecay: num(hp, "weightDecay"),
    }),
    build: (o) => scheduleFreeAdamw(o),
  },
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
          : String(v);
  const parts = Object.entries(options).map(([k, v]) => `${k}: ${show(v)}`);
  return `${fn}({ ${parts.join(", ")} })`;
}
