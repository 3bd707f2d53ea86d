/**
 * What a fusible chain is made of — wrappers (`skipNonFinite`, `injectHyperparams`, `ema`/`polyak`,
 * `accumulateGradients`) around an optimizer alias carrying a fusion spec, optionally after
 * `clipByGlobalNorm` — and the per-step scalars it needs, evaluated from the chain's own state
 * objects. Shared by the fused kernels (src/kernels/fused.ts) and the TF.js ops path (src/tfjs/ops.ts),
 * so both read the same state and compute the same numbers as the reference chain. What differs by
 * kind (its buffers, its scalars) comes from the kind's module (`kinds/`).
 */
import { valueAt } from "../hyper.js";
import type { FusionSpec } from "../optimizers/fusion.js";
import type { AnyTransformation } from "../transform.js";
import { momentKey } from "../transforms/compact-state.js";
import type { FloatArray } from "../tree.js";
import { isWrapperFusion, type WrapperFusion } from "../wrappers/fusion.js";
import { isKind, kindOf } from "./kinds/index.js";
import { type AnyKind, isUnsupported, type Scalars } from "./kinds/kind.js";

export interface ClipSpec {
  kind: "clip-global-norm";
  maxNorm: number;
  normType: number;
  strict: boolean;
}

export interface Plan {
  spec: FusionSpec;
  /** The module of the spec's kind. */
  kind: AnyKind;
  clip: (ClipSpec & { state: { totalNorm: number } }) | undefined;
  counts: { count: number }[];
  /** Each of the kind's buffers found in the alias's state (one array per leaf), by name. */
  buffers: Record<string, FloatArray[]>;
  /** The step `resolveStep` hands the kind: the count it read and the state object each buffer was found in. */
  at: { count: number; holders: Record<string, { count: number } | undefined> };
  /**
   * Moments stored as bfloat16 (`stateDtype`): the rounding's seed (the buffers hold their bits).
   * `stateDtype` "float32" is the params' own storage for float32 params (the fused step checks them).
   */
  bfloat16: { seed: number } | undefined;
  /** Moments stored in 8 bits (`stateDtype` "int8"): the rounding's seed (the buffers hold codes and scales). */
  int8: { seed: number } | undefined;
}

/** The alias and the clip in front of it, or why the chain is not fusible. */
export function fusibleParts(
  tx: AnyTransformation,
): { alias: AnyTransformation; clip: ClipSpec | undefined } | string {
  const parts = tx.parts;
  const first = parts?.length === 2 ? (parts[0]!.fusion as ClipSpec | undefined) : undefined;
  const clip = first?.kind === "clip-global-norm" ? first : undefined;
  const alias = clip ? parts![1]! : tx;
  if (!isKind((alias.fusion as FusionSpec | undefined)?.kind)) {
    return "it is not an optimizer alias that momenta fuses (sgd, sgdw, adam, adamw, adamax, nadam, radam, adadelta, lamb, rmsprop, adagrad, lion, scheduleFreeAdamw), optionally after clipByGlobalNorm, optionally inside skipNonFinite, injectHyperparams, ema, polyak or accumulateGradients";
  }
  return { alias, clip };
}

/** A wrapper around the fused chain, with its state (whose `inner` holds the wrapped state). */
export interface Layer {
  fusion: WrapperFusion;
  state: Record<string, unknown> & { inner: unknown };
}

/**
 * The wrappers around a chain, outermost first, and the chain they wrap with its state; or why the
 * wrappers cannot be fused. (Calls each wrapper's `inner`: injectHyperparams evaluates its values.)
 */
export function peel(
  tx: AnyTransformation,
  state: unknown,
): { layers: Layer[]; core: AnyTransformation; coreState: unknown } | string {
  const layers: Layer[] = [];
  let t = tx;
  let s = state;
  while (isWrapperFusion(t.fusion)) {
    const fusion = t.fusion;
    if (fusion.kind === "observe" && fusion.unfusible) return fusion.unfusible;
    const layer = { fusion, state: s as Layer["state"] };
    layers.push(layer);
    try {
      t = fusion.inner(s);
    } catch (e) {
      return `${fusion.owner} cannot evaluate its values: ${(e as Error)?.message ?? String(e)}`;
    }
    s = layer.state.inner;
  }
  if (layers.filter((l) => l.fusion.kind === "accumulate").length > 1)
    return "the fused kernels run one accumulateGradients, not several nested";
  return { layers, core: t, coreState: s };
}

/**
 * The state objects of an alias, its schedule's count first: a chain's list, or an alias that is a
 * wrapper (Schedule-Free AdamW) — its own state, then its inner chain's.
 */
function stateObjects(state: unknown): unknown[] {
  if (Array.isArray(state)) return state;
  const inner = (state as { inner?: unknown } | null)?.inner;
  return [state, ...(Array.isArray(inner) ? inner : [inner])];
}

/** Finds the spec, the clip's state, every count and buffer of the alias's state; or says why not. */
export function plan(tx: AnyTransformation, state: unknown): Plan | string {
  const parts = fusibleParts(tx);
  if (typeof parts === "string") return parts;
  const spec = parts.alias.fusion as FusionSpec;
  const kind = kindOf(spec.kind);
  const why = storageUnfused(spec, kind);
  if (why !== undefined) return why;
  const aliasState = stateObjects(parts.clip ? (state as unknown[])[1] : state);
  const clip = parts.clip ? { ...parts.clip, state: (state as { totalNorm: number }[])[0]! } : undefined;
  const counts: { count: number }[] = [];
  const buffers: Plan["buffers"] = {};
  const holders: Plan["at"]["holders"] = {};
  for (const s of aliasState) {
    if (s === null || typeof s !== "object") continue;
    const o = s as Record<string, unknown>;
    if (typeof o.count === "number") counts.push(o as { count: number });
    for (const name of Object.keys(kind.buffers)) {
      if (!Array.isArray(o[name])) continue;
      buffers[name] = o[name] as FloatArray[];
      holders[name] = o as { count: number };
    }
  }
  for (const [name, presence] of Object.entries(kind.buffers)) {
    if (presence === "always" && !buffers[name]) return `the ${spec.owner} state has no ${name} buffers`;
  }
  const seed = { seed: spec.stateSeed ?? 0 };
  const bfloat16 = spec.stateDtype === "bfloat16" ? seed : undefined;
  const int8 = spec.stateDtype === "int8" ? seed : undefined;
  return { spec, kind, clip, counts, buffers, at: { count: 0, holders }, bfloat16, int8 };
}

/** Why the kernels leave this spec's state storage to the chain, or undefined when they run it. */
function storageUnfused(spec: FusionSpec, kind: AnyKind): string | undefined {
  const dtype = spec.stateDtype;
  if (dtype === "int8" && isUnsupported(kind.int8))
    return `${spec.owner} keeps its moments in 8 bits (stateDtype "int8"), and ${kind.int8.unsupported}`;
  if (dtype === "bfloat16" && isUnsupported(kind.bfloat16))
    return `${spec.owner} keeps its moments as bfloat16 (stateDtype), and ${kind.bfloat16.unsupported}`;
  return undefined;
}

/**
 * The rounding keys of a bfloat16- or int8-state step for one leaf, into `keys`: buffer k of the kind's list
 * keyed as the transform keys moment k (`momentKey`), at the step its state is about to take.
 */
export function roundingKeys(p: Plan, leaf: number, keys: number[]): void {
  const names = Object.keys(p.kind.buffers);
  const step = (p.at.holders[names[0]!]?.count ?? 0) + 1;
  for (let k = 0; k < keys.length; k++) keys[k] = momentKey((p.bfloat16 ?? p.int8)!.seed, step, leaf, k);
}

/**
 * Evaluates the step's hyperparameters from the spec and the state's counts into `s` (no
 * allocation: the hot path calls it every step), range-checking each schedule's value before
 * anything is written — as the reference chain's links do. lr and the decays (before masking) here,
 * the rest by the kind's module.
 */
export function resolveStep(p: Plan, s: Scalars): void {
  const { spec } = p;
  const owner = spec.owner;
  const count = p.counts[0]?.count ?? 0;
  s.lr = valueAt(owner, "lr", spec.lr, count, "[0, inf)");
  s.l2 = valueAt(owner, "weightDecay", spec.l2, count, "[0, inf)");
  s.wd = valueAt(owner, "weightDecay", spec.decoupled, count, "[0, inf)");
  p.at.count = count;
  p.kind.resolve(spec, s, p.at);
}
