/**
 * What a fusible chain is made of — an optimizer alias carrying a fusion spec, optionally after
 * `clipByGlobalNorm` — and the per-step scalars it needs, evaluated from the chain's own state
 * objects. Shared by the fused kernels (src/kernels/fused.ts) and the TF.js ops path (src/tfjs/ops.ts),
 * so both read the same state and compute the same numbers as the reference chain.
 */
import { valueAt } from "../hyper.js";
import type { FusionSpec } from "../optimizers/fusion.js";
import type { AnyTransformation } from "../transform.js";
import type { FloatArray } from "../tree.js";

export interface ClipSpec {
  kind: "clip-global-norm";
  maxNorm: number;
  normType: number;
  strict: boolean;
}

export const BUFFERS = [
  "expAvg",
  "expAvgSq",
  "maxExpAvgSq",
  "momentumBuffer",
  "squareAvg",
  "gradAvg",
  "sum",
] as const;
export type BufferName = (typeof BUFFERS)[number];

export interface Plan {
  spec: FusionSpec;
  clip: (ClipSpec & { state: { totalNorm: number } }) | undefined;
  counts: { count: number }[];
  trace: { count: number } | undefined;
  buffers: Partial<Record<BufferName, FloatArray[]>>;
}

/** The alias and the clip in front of it, or why the chain is not fusible. */
export function fusibleParts(
  tx: AnyTransformation,
): { alias: AnyTransformation; clip: ClipSpec | undefined } | string {
  const parts = tx.parts;
  const first = parts?.length === 2 ? (parts[0]!.fusion as ClipSpec | undefined) : undefined;
  const clip = first?.kind === "clip-global-norm" ? first : undefined;
  const alias = clip ? parts![1]! : tx;
  if (!(alias.fusion as FusionSpec | undefined)) {
    return "it is not an optimizer alias that momenta fuses (sgd, sgdw, adam, adamw, rmsprop, adagrad, lion), optionally after clipByGlobalNorm";
  }
  return { alias, clip };
}

/** Finds the spec, the clip's state, every count and buffer of the alias's state; or says why not. */
export function plan(tx: AnyTransformation, state: unknown): Plan | string {
  const parts = fusibleParts(tx);
  if (typeof parts === "string") return parts;
  const aliasState = (parts.clip ? (state as unknown[])[1] : state) as unknown[];
  const clip = parts.clip ? { ...parts.clip, state: (state as { totalNorm: number }[])[0]! } : undefined;
  const counts: { count: number }[] = [];
  const buffers: Plan["buffers"] = {};
  let trace: Plan["trace"];
  for (const s of aliasState) {
    if (s === null || typeof s !== "object") continue;
    const o = s as Record<string, unknown>;
    if (typeof o.count === "number") counts.push(o as { count: number });
    if ("momentumBuffer" in o) trace = o as { count: number };
    for (const name of BUFFERS) if (Array.isArray(o[name])) buffers[name] = o[name] as FloatArray[];
  }
  return { spec: parts.alias.fusion as FusionSpec, clip, counts, trace, buffers };
}

/** One step's hyperparameters (decays before masking). */
export interface StepScalars {
  lr: number;
  l2: number;
  wd: number;
  b1: number;
  b2: number;
  bc1: number;
  bc2Sqrt: number;
  eps: number;
  amsgrad: boolean;
  hasMomentum: boolean;
  mu: number;
  keep: number;
  first: boolean;
  nesterov: boolean;
  alpha: number;
  centered: boolean;
}

export function stepScalars(): StepScalars {
  return {
    lr: 0,
    l2: 0,
    wd: 0,
    b1: 0,
    b2: 0,
    bc1: 1,
    bc2Sqrt: 1,
    eps: 0,
    amsgrad: false,
    hasMomentum: false,
    mu: 0,
    keep: 1,
    first: false,
    nesterov: false,
    alpha: 0,
    centered: false,
  };
}

/**
 * Evaluates the step's hyperparameters from the spec and the state's counts into `s` (no
 * allocation: the hot path calls it every step), range-checking each schedule's value before
 * anything is written — as the reference chain's links do.
 */
export function resolveStep(p: Plan, s: StepScalars): void {
  const { spec } = p;
  const owner = spec.owner;
  const count = p.counts[0]?.count ?? 0;
  s.lr = valueAt(owner, "lr", spec.lr, count, "[0, inf)");
  s.l2 = valueAt(owner, "weightDecay", spec.l2, count, "[0, inf)");
  s.wd = valueAt(owner, "weightDecay", spec.decoupled, count, "[0, inf)");
  if (spec.kind === "adam") {
    const b1 = valueAt(owner, "betas[0]", spec.beta1, count, "[0, 1)");
    const t = count + 1;
    s.b1 = b1;
    s.b2 = spec.beta2;
    s.bc1 = 1 - b1 ** t;
    s.bc2Sqrt = Math.sqrt(1 - spec.beta2 ** t);
    s.eps = spec.eps;
    s.amsgrad = spec.amsgrad;
  } else if (spec.kind === "sgd" || spec.kind === "rmsprop") {
    const trace = p.trace;
    s.hasMomentum = trace !== undefined;
    s.mu = trace ? valueAt(owner, "momentum", spec.momentum, trace.count, "[0, 1]") : 0;
    s.keep = 1 - (spec.kind === "sgd" ? spec.dampening : 0);
    s.first = trace?.count === 0;
    s.nesterov = spec.kind === "sgd" && spec.nesterov;
    if (spec.kind === "rmsprop") {
      s.alpha = spec.alpha;
      s.eps = spec.eps;
      s.centered = spec.centered;
    }
  } else if (spec.kind === "lion") {
    s.b1 = valueAt(owner, "betas[0]", spec.beta1, count, "[0, 1)");
    s.b2 = spec.beta2;
  } else {
    s.eps = spec.eps;
  }
}
