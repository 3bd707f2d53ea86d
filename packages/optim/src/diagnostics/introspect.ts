/**
 * Finding the pieces of an optimizer `observe` reads, without changing them: the optimizer alias's
 * own description (`tx.fusion`, set by adam, adamw, sgd, sgdw, rmsprop, adagrad, lion), the
 * `clipByGlobalNorm` links of a chain (their `fusion` and their `totalNorm` state), and an Adam-family
 * state (an object with `expAvgSq` buffers and a `count`; compact ones, `stateDtype`, decoded).
 *
 * The transform is walked through `parts` (chains) alongside its state; the state alone is searched
 * for the Adam-family buffers, through any wrapper's `inner`. Wrappers do not expose the transform
 * they wrap, so around `skipNonFinite(adamw(…))` the alias's description cannot be seen — put
 * `observe` inside such wrappers, or use `injectHyperparams`, whose live view is read through them.
 */
import { valueAt } from "../hyper.js";
import { isKind, kindOf } from "../kernels/kinds/index.js";
import type { FusionSpec } from "../optimizers/fusion.js";
import type { AnyTransformation } from "../transform.js";
import { decodedView, type MomentBuffer, momentStore } from "../transforms/compact-state.js";
import { type FloatArray, isFloatArray, type Mask } from "../tree.js";

/** The fields of an alias's fusion description that observe reads (see `optimizers/fusion.ts`). */
export interface AliasSpec {
  kind: string;
  owner: string;
  lr: number | ((count: number) => number);
  l2: number | ((count: number) => number);
  decoupled: number | ((count: number) => number);
  mask: Mask | undefined;
  beta1?: number | ((count: number) => number);
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
  momentum?: number | ((count: number) => number);
  dampening?: number;
  alpha?: number;
}

export interface ClipFound {
  maxNorm: number;
  state: { totalNorm: number };
}

export interface AdamFound {
  state: { count: number; expAvgSq: FloatArray[]; maxExpAvgSq?: FloatArray[] };
}

export interface Found {
  alias: { spec: AliasSpec; state: unknown } | undefined;
  clip: ClipFound | undefined;
  adam: AdamFound | undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !ArrayBuffer.isView(x);
}

/** Walks `tx` and its state; the first alias and the first global-norm clip found win. */
export function introspect(tx: AnyTransformation, state: unknown): Found {
  const found: Found = { alias: undefined, clip: undefined, adam: undefined };
  const walk = (t: AnyTransformation, s: unknown) => {
    const f = t.fusion as { kind?: unknown; maxNorm?: unknown } | undefined;
    if (f && f.kind === "clip-global-norm" && typeof f.maxNorm === "number" && isObject(s)) {
      if (!found.clip && typeof s.totalNorm === "number")
        found.clip = { maxNorm: f.maxNorm, state: s as { totalNorm: number } };
    } else if (f && isKind(f.kind) && !found.alias) {
      found.alias = { spec: f as unknown as AliasSpec, state: s };
    }
    if (t.parts && Array.isArray(s) && s.length === t.parts.length) {
      t.parts.forEach((p, i) => {
        walk(p, s[i]);
      });
    }
  };
  walk(tx, state);
  // Inside the alias when there is one: an Adam state elsewhere would not go with its lr.
  found.adam = findAdamState(found.alias ? found.alias.state : state);
  return found;
}

/** A second-moment buffer as stored: float, bfloat16 words, or 8-bit codes with block scales. */
function isMomentBuffer(b: unknown): b is MomentBuffer {
  return (
    isFloatArray(b) ||
    b instanceof Uint16Array ||
    (isObject(b) && b.codes instanceof Uint8Array && b.scales instanceof Float32Array)
  );
}

/** Second moments as float32 copies (compact state: `stateDtype`), by their store's own decoding. */
function decoded(list: readonly MomentBuffer[]): FloatArray[] {
  const dtype = list.some((b) => b instanceof Uint16Array) ? "bfloat16" : "int8";
  return [...decodedView(momentStore(dtype, "square"), list)];
}

/**
 * The first object holding `expAvgSq` buffers and a `count`, depth first: the live object, or for
 * compact state a view that decodes the buffers each time they are read.
 */
export function findAdamState(state: unknown): AdamFound | undefined {
  const seen = new Set<unknown>();
  const rec = (s: unknown): AdamFound | undefined => {
    if (!isObject(s) || seen.has(s)) return undefined;
    seen.add(s);
    if (
      !Array.isArray(s) &&
      typeof s.count === "number" &&
      Array.isArray(s.expAvgSq) &&
      s.expAvgSq.every(isMomentBuffer)
    ) {
      if (s.expAvgSq.every(isFloatArray)) return { state: s as unknown as AdamFound["state"] };
      const live = s as { count: number; expAvgSq: MomentBuffer[]; maxExpAvgSq?: MomentBuffer[] };
      return {
        state: {
          get count() {
            return live.count;
          },
          get expAvgSq() {
            return decoded(live.expAvgSq);
          },
          get maxExpAvgSq() {
            return live.maxExpAvgSq && decoded(live.maxExpAvgSq);
          },
        },
      };
    }
    for (const v of Array.isArray(s) ? s : Object.values(s)) {
      const r = rec(v);
      if (r) return r;
    }
    return undefined;
  };
  return rec(state);
}

/** The count the alias's schedules are read at (as the fused kernels do): its first state's count. */
export function aliasCount(aliasState: unknown): number {
  if (Array.isArray(aliasState)) {
    for (const s of aliasState) {
      if (isObject(s) && typeof s.count === "number") return s.count;
    }
  }
  return 0;
}

/**
 * The hyperparameters an alias uses at `count`, under injectHyperparams' names. A schedule that
 * throws (e.g. past oneCycleLr's end) is left out: the update itself will report it.
 */
export function aliasHyperparams(spec: AliasSpec, count: number): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, h: unknown) => {
    if (typeof h === "number") out[name] = h;
    else if (typeof h === "function") {
      try {
        out[name] = valueAt(spec.owner, name, h as (c: number) => number, count, "(-inf, inf)");
      } catch {
        // left out
      }
    }
  };
  put("lr", spec.lr);
  put("weightDecay", isActive(spec.decoupled) ? spec.decoupled : spec.l2);
  // the kind's own, as its module lists them (kernels/kinds/)
  if (isKind(spec.kind))
    for (const [name, h] of kindOf(spec.kind).hyperparams(spec as unknown as FusionSpec)) put(name, h);
  return out;
}

/** A hyperparameter that can be non-zero at some step. */
export function isActive(h: unknown): boolean {
  return typeof h === "function" || (typeof h === "number" && h !== 0);
}
