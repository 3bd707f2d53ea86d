/** Small pieces every optimizer alias shares: option checks and the optional links of a chain. */
import { type Hyper, showValue, valueAt } from "../hyper.js";
import { type AnyTransformation, chain, type GradientTransformation } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import type { CompactStateOptions, StateDtype } from "../transforms/compact-state.js";
import { scale } from "../transforms/scale.js";
import { scaleByLearningRate } from "../transforms/scale-by-learning-rate.js";
import type { Mask } from "../tree.js";
import { bool, choice, mask, num, type OptionsOf, type Resolved } from "./declaration.js";

/** The state of an optimizer alias: one entry per link of its chain. */
export type OptimizerState = unknown[];

/** What an optimizer alias (`adamw`, `sgd`…) returns: a gradient transformation, the chain its doc describes. */
export type Optimizer = GradientTransformation<OptimizerState>;

/**
 * The options every optimizer takes, declared (see `declaration.ts`); lr's and weightDecay's
 * defaults differ per optimizer and are read at run time from `<optimizer>.defaults`.
 */
export function common(lr: number, weightDecay: number) {
  return {
    /**
     * Learning rate, ≥ 0: a number, or a schedule of the update count (e.g. `warmupCosineDecay(…)`).
     * Default: PyTorch's for the optimizer (`adamw.defaults.lr`…) — 1e-3 for most; 2e-3 adamax and nadam,
     * 1e-2 rmsprop, adagrad and adafactor, 1 adadelta, 1e-4 lion, 2.5e-3 scheduleFreeAdamw.
     */
    lr: num(lr, "[0, inf)", { schedulable: true }),
    /**
     * Weight decay λ, ≥ 0 (a number or a schedule). As L2 in the gradient (adam, sgd, rmsprop…) or
     * decoupled, `p ← p − lr·λ·p` (adamw, sgdw, lion, muon…): each optimizer's doc says which.
     * Default 0 (adamw 0.01, muon 0.1).
     */
    weightDecay: num(weightDecay, "[0, inf)", { schedulable: true }),
    /** Maximize the objective instead of minimizing it: the gradient is negated first. Default false. */
    maximize: bool(false),
    /** Which leaves weight decay applies to: a predicate or a tree of booleans (e.g. `excludeBiasAndNorm`). Default: all. */
    mask: mask(),
  };
}

/**
 * How an optimizer keeps its moments, for the aliases whose moment transforms take it (adam, adamw,
 * sgd, sgdw, lion, rmsprop, adagrad, lamb): the transforms' `CompactStateOptions`, declared.
 */
export function stateStorage() {
  return {
    /**
     * How the moments are stored: "float32", "bfloat16" (2 bytes, stochastic rounding) or "int8"
     * (block-wise 8-bit dynamic code, 1.02 bytes). Default null: the params' own dtype. Set, it runs
     * the reference chain, not a fused kernel.
     */
    stateDtype: choice([null, "float32", "bfloat16", "int8"] as const, null),
    /** Seed of the stochastic rounding (the same seed, the same run), an integer in [0, 2³²). Default 0. */
    stateSeed: num(0, "[0, 4294967295]", { integer: true }),
  };
}

/** The storage options as the moment transforms take them (none: the params' dtype). */
export function storage(o: { stateDtype: StateDtype | null; stateSeed: number }): CompactStateOptions {
  return o.stateDtype === null ? {} : { stateDtype: o.stateDtype, stateSeed: o.stateSeed };
}

/** The options every optimizer alias takes (their defaults are PyTorch's, and differ per optimizer). */
export type CommonOptions = OptionsOf<ReturnType<typeof common>>;

/** The common options after checking. */
export type Common = Resolved<ReturnType<typeof common>>;

/** True when a hyperparameter can be non-zero at some step (a schedule, or a non-zero constant). */
export function active(h: Hyper): boolean {
  return typeof h === "function" || h !== 0;
}

/** `[scale(-1)]` when maximizing: the gradient is negated first, before any decay, as in PyTorch. */
export function ascent(maximize: boolean): AnyTransformation[] {
  return maximize ? [scale(-1)] : [];
}

/** `[addDecayedWeights]` when the decay can be non-zero. */
export function decay(owner: string, weightDecay: Hyper, mask: Mask | undefined): AnyTransformation[] {
  return active(weightDecay) ? [addDecayedWeights(weightDecay, { mask, owner })] : [];
}

/** Closes an alias: the optional links, then `−lr`. */
export function alias(owner: string, lr: Hyper, links: AnyTransformation[]): Optimizer {
  return chain(...links, scaleByLearningRate(lr, owner)) as Optimizer;
}

/**
 * How decoupled decay is scaled: "lr" (PyTorch, the default) shrinks by lr_t·λ per step; "multiplier"
 * (the AdamW paper) by η_t·λ, where η_t = lr_t / base lr is the schedule multiplier.
 */
export type DecayWith = "lr" | "multiplier";

/** The `decayWith` option of the optimizers with decoupled decay. */
export function decayWith() {
  return {
    /** "lr" (default, PyTorch): p ← p·(1 − lr_t·λ); "multiplier" (the AdamW paper): p ← p·(1 − η_t·λ), η_t = lr_t / base lr. */
    decayWith: choice<DecayWith>(["lr", "multiplier"], "lr"),
  };
}

/**
 * An alias whose decay is decoupled: `[±] → preconditioner → +λp → −lr`, or, with
 * `decayWith: "multiplier"`, `[±] → preconditioner → ×α → +λp → −η_t` with α the base lr.
 */
export function decoupled(
  owner: string,
  c: { lr: Hyper; weightDecay: Hyper; maximize: boolean; mask: Mask | undefined },
  pre: AnyTransformation[],
  decayWith: DecayWith = "lr",
): Optimizer {
  if (decayWith === "lr")
    return alias(owner, c.lr, [...ascent(c.maximize), ...pre, ...decay(owner, c.weightDecay, c.mask)]);
  const lr = c.lr;
  const base = typeof lr === "number" ? lr : (lr as { base?: unknown }).base;
  if (typeof base !== "number" || !(base > 0) || !Number.isFinite(base)) {
    throw new RangeError(
      `${owner}: decayWith "multiplier" needs lr to be a number > 0 or a momenta schedule (which knows its base lr), got base ${showValue(base)}`,
    );
  }
  const eta =
    typeof lr === "number" ? 1 : (count: number) => valueAt(owner, "lr", lr, count, "[0, inf)") / base;
  return alias(owner, eta, [
    ...ascent(c.maximize),
    ...pre,
    scale(base),
    ...decay(owner, c.weightDecay, c.mask),
  ]);
}

/** The options of the optimizers whose decay may be L2 or decoupled (PyTorch's NAdam, RAdam). */
export function eitherDecayOptions() {
  return {
    /** Decay as AdamW does (`p ← p − lr·λ·p`) instead of L2 in the gradient (NAdamW, RAdamW). Default false. */
    decoupledWeightDecay: bool(false),
    ...decayWith(),
  };
}

/** Options of the optimizers whose decay may be L2 or decoupled (nadam, radam). */
export type EitherDecayOptions = OptionsOf<ReturnType<typeof eitherDecayOptions>>;

/**
 * `[±] → +λp → preconditioner → −lr` (L2), or the decoupled chain when `decoupledWeightDecay`.
 * `decayWith: "multiplier"` without decoupled decay is refused (it would mean nothing).
 */
export function eitherDecay(
  owner: string,
  c: Common & Resolved<ReturnType<typeof eitherDecayOptions>>,
  pre: AnyTransformation,
): Optimizer {
  if (c.decoupledWeightDecay) return decoupled(owner, c, [pre], c.decayWith);
  if (c.decayWith !== "lr") {
    throw new RangeError(`${owner}: decayWith applies to decoupled decay; set decoupledWeightDecay: true`);
  }
  return alias(owner, c.lr, [...ascent(c.maximize), ...decay(owner, c.weightDecay, c.mask), pre]);
}
