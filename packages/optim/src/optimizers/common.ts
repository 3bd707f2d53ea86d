/** Small pieces every optimizer alias shares: option checks and the optional links of a chain. */
import {
  checkBoolean,
  checkHyper,
  checkMask,
  checkOptions,
  type Hyper,
  showValue,
  valueAt,
} from "../hyper.js";
import { type AnyTransformation, chain, type GradientTransformation } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import { scale } from "../transforms/scale.js";
import { scaleByLearningRate } from "../transforms/scale-by-learning-rate.js";
import type { Mask } from "../tree.js";

/** The state of an optimizer alias: one entry per link of its chain. */
export type OptimizerState = unknown[];

/** What an optimizer alias (`adamw`, `sgd`…) returns: a gradient transformation, the chain its doc describes. */
export type Optimizer = GradientTransformation<OptimizerState>;

/** The options every optimizer alias takes; their defaults are PyTorch's, and differ per optimizer. */
export interface CommonOptions {
  /**
   * Learning rate, ≥ 0: a number, or a schedule of the update count (e.g. `warmupCosineDecay(…)`).
   * Default: 1e-3 (adam, adamw, sgd, sgdw, radam, lamb, muon), 2e-3 (adamax, nadam), 1e-2 (rmsprop,
   * adagrad, adafactor), 1 (adadelta), 1e-4 (lion), 2.5e-3 (scheduleFreeAdamw).
   */
  lr?: Hyper;
  /**
   * Weight decay λ, ≥ 0 (a number or a schedule). As L2 in the gradient (adam, sgd, rmsprop…) or
   * decoupled, `p ← p − lr·λ·p` (adamw, sgdw, lion, muon…): each optimizer's doc says which.
   * Default 0 (adamw 0.01, muon 0.1).
   */
  weightDecay?: Hyper;
  /** Maximize the objective instead of minimizing it: the gradient is negated first. Default false. */
  maximize?: boolean;
  /** Which leaves weight decay applies to: a predicate or a tree of booleans (e.g. `excludeBiasAndNorm`). Default: all. */
  mask?: Mask;
}

/**
 * Validates the options object (see `checkOptions`: unknown names and nulls are refused, except the
 * `nullable` names) and the fields every alias has.
 */
export function commonOptions(
  owner: string,
  options: object | undefined,
  allowed: readonly string[],
  defaults: { lr: number; weightDecay: number },
  nullable: readonly string[] = [],
): { lr: Hyper; weightDecay: Hyper; maximize: boolean; mask: Mask | undefined } {
  const o = checkOptions(
    owner,
    options,
    ["lr", "weightDecay", "maximize", "mask", ...allowed],
    nullable,
  ) as CommonOptions;
  const mask = o.mask;
  checkMask(owner, "mask", mask);
  return {
    lr: checkHyper(owner, "lr", o.lr ?? defaults.lr, "[0, inf)"),
    weightDecay: checkHyper(owner, "weightDecay", o.weightDecay ?? defaults.weightDecay, "[0, inf)"),
    maximize: checkBoolean(owner, "maximize", o.maximize ?? false),
    mask,
  };
}

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

/**
 * An alias whose decay is decoupled: `[±] → preconditioner → +λp → −lr`, or, with
 * `decayWith: "multiplier"`, `[±] → preconditioner → ×α → +λp → −η_t` with α the base lr.
 */
export function decoupled(
  owner: string,
  c: { lr: Hyper; weightDecay: Hyper; maximize: boolean; mask: Mask | undefined },
  pre: AnyTransformation[],
  decayWith: unknown = "lr",
): Optimizer {
  if (decayWith === "lr")
    return alias(owner, c.lr, [...ascent(c.maximize), ...pre, ...decay(owner, c.weightDecay, c.mask)]);
  if (decayWith !== "multiplier") {
    throw new RangeError(`${owner}: decayWith must be "lr" or "multiplier", got ${showValue(decayWith)}`);
  }
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

/** Options of the optimizers whose decay may be L2 or decoupled (PyTorch's NAdam, RAdam). */
export interface EitherDecayOptions {
  /** Decay as AdamW does (`p ← p − lr·λ·p`) instead of L2 in the gradient (NAdamW, RAdamW). Default false. */
  decoupledWeightDecay?: boolean;
  /** With decoupled decay: "lr" (default) or "multiplier" (see `adamw`). */
  decayWith?: DecayWith;
}

/** `[±] → +λp → preconditioner → −lr` (L2), or the decoupled chain when `decoupledWeightDecay`. */
export function eitherDecay(
  owner: string,
  c: { lr: Hyper; weightDecay: Hyper; maximize: boolean; mask: Mask | undefined },
  pre: AnyTransformation,
  options: EitherDecayOptions,
): Optimizer {
  if (checkBoolean(owner, "decoupledWeightDecay", options.decoupledWeightDecay ?? false)) {
    return decoupled(owner, c, [pre], options.decayWith);
  }
  if (options.decayWith !== undefined) {
    throw new RangeError(`${owner}: decayWith applies to decoupled decay; set decoupledWeightDecay: true`);
  }
  return alias(owner, c.lr, [...ascent(c.maximize), ...decay(owner, c.weightDecay, c.mask), pre]);
}
