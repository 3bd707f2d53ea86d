/**
 * `observe(tx, onStats, { every })`: what is my optimizer doing? A wrapper that leaves the wrapped
 * transform's numbers exactly as they are and, every `every`-th update, reports `OptimizerStats`
 * (see `stats.ts` for every name): gradient, update and param norms (global and per leaf), the
 * update-to-param ratio, non-finite counts, global-norm clipping, Adam's effective per-coordinate lr,
 * the decoupled-decay pull, the hyperparameters in use and, opt-in, v-scars.
 *
 * Cost. On the other updates observe adds a counter, and — only when the chain has a
 * `clipByGlobalNorm` — one comparison for the running clip fraction; nothing is copied. (The opt-in
 * `vScar` estimate adds one pass over the gradient every update: see `v-scar.ts`.) A reporting update
 * reads the gradient once before `tx` runs (it may overwrite its input in place; only norms and counts
 * are kept, never the arrays), then the update and the params once, and Adam's v once for the
 * effective lr (see `effective-lr.ts` for its sampled percentiles): ≈ 3 ms on 1e6 float32 params,
 * where a reference adamw step takes ≈ 9 ms. `bench/observe.ts` measures the total at `every: 10`:
 * 3.5% of a plain adamw update (CPU time; the budget is 5%). The `vScar` pass adds ≈ 20%.
 *
 * Where the numbers come from. Hyperparameters: the optimizer alias's own description (`tx.fusion`:
 * adam, adamw, sgd, sgdw, rmsprop, adagrad, lion; schedules evaluated at the alias's count, as its
 * update does) and the live view of an `injectHyperparams` (read before the update: the values this
 * update uses), which wins; the `hyperparams` option only fills names neither gives. The Adam-family
 * state is found by its key names (`expAvgSq`, `maxExpAvgSq`, `count`); the effective lr needs lr,
 * `betas[1]` and `eps` besides, v-scars `betas[1]`. Anything observe cannot find is null, with the reason in
 * `unavailable`. Put observe inside other wrappers (`skipNonFinite(observe(adamw(…), …))`): a wrapper
 * hides the transform it wraps, so outside one only an injectHyperparams view can be read.
 *
 * Kernels: an observed optimizer the fused kernels know runs on them (without `vScar`, whose estimate
 * reads every gradient: that one runs the reference chain). On a reporting step the fused path reads
 * the gradient before the update, keeps a copy of the params (and of the state, so that a throwing
 * `onStats` undoes the step, as on the reference chain), and measures the update as applied: new
 * params − old, rounded to the params' dtype (the reference measures the update before it is added).
 *
 * State: `{ count, clippedSteps, inner }` (plus `typical` with `vScar`) — plain data, saved by
 * `stateDict()`. `hyperparams` is forwarded, so `createOptimizer(...).hyperparams` still works.
 */
import { checkBoolean, checkInteger, checkNumber, checkOptions } from "../hyper.js";
import {
  type AnyTransformation,
  buffersLike,
  type GradientTransformation,
  updateLeaves,
} from "../transform.js";
import { assertSameStructure, type FloatArray, flatten, leavesOf, resolveMask, type Tree } from "../tree.js";
import type { WrapperFusion } from "../wrappers/fusion.js";
import { checkInner, innerHyperparams, type Wrapped } from "../wrappers/inner.js";
import { effectiveLr } from "./effective-lr.js";
import { aliasCount, aliasHyperparams, type Found, introspect, isActive } from "./introspect.js";
import type { ClipStats, DecayStats, LeafStats, OptimizerStats } from "./stats.js";
import { findVScars, type ResolvedVScarOptions, updateTypicalGradSq, type VScarOptions } from "./v-scar.js";

/** Options of `observe`. */
export interface ObserveOptions {
  /** Report every k-th update (the k-th, 2k-th, …), an integer ≥ 1. Default 10. */
  every?: number;
  /** Per-leaf statistics in `leaves`. Default true. */
  perLeaf?: boolean;
  /** Track v-scars: `true` for the defaults, or their options. Default off. */
  vScar?: boolean | VScarOptions;
  /** Coordinates (an integer ≥ 1) up to which the effective-lr percentiles are exact; above, the sample size. Default 8192. */
  sampleSize?: number;
  /**
   * Hyperparameter values for what observe cannot find by itself — e.g. `{ lr: 1e-3, "betas[1]": 0.999,
   * eps: 1e-8 }` for a hand-built `chain(scaleByAdam(), scaleByLearningRate(1e-3))`. They never
   * override a value found in the transform. Default: none.
   */
  hyperparams?: Record<string, number>;
}

/** State of `observe`: its counters (and the v-scar estimates), beside the wrapped state. */
export interface ObserveState<S = unknown> extends Wrapped<S> {
  /** Updates through observe. */
  count: number;
  /** Updates whose clipByGlobalNorm scaled them down. */
  clippedSteps: number;
  /** With `vScar`: the running E[g²] estimates, one buffer per leaf (see `v-scar.ts`). */
  typical?: FloatArray[];
}

/** What observe keeps per inner state between updates: where things are, and the leaf paths. */
interface Cache {
  found: Found;
  paths: string[] | undefined;
  decayMask: boolean[] | undefined;
}

/** Gradient-side numbers, gathered before the wrapped update overwrites them. */
interface Before {
  gradSq: Float64Array;
  gradBad: Int32Array;
  hyper: Record<string, number>;
  liveView: boolean;
}

/**
 * Wraps `tx`; every `every`-th update calls `onStats` with the statistics of that update (after `tx`
 * has run, before the caller applies the update). An exception thrown by `onStats` propagates, after
 * the state has been updated.
 */
export function observe<S>(
  tx: GradientTransformation<S>,
  onStats: (stats: OptimizerStats) => void,
  options: ObserveOptions = {},
): GradientTransformation<ObserveState<S>> {
  const owner = "observe";
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  if (typeof onStats !== "function") throw new TypeError(`${owner}: onStats must be a function`);
  checkOptions(owner, options, ["every", "perLeaf", "vScar", "sampleSize", "hyperparams"]);
  const every = checkInteger(owner, "every", options.every ?? 10, "[1, inf)");
  const perLeaf = checkBoolean(owner, "perLeaf", options.perLeaf ?? true);
  const sampleSize = checkInteger(owner, "sampleSize", options.sampleSize ?? 8192, "[1, inf)");
  const fallback: Record<string, number> = {};
  const given = options.hyperparams ?? {};
  if (typeof given !== "object" || Array.isArray(given) || ArrayBuffer.isView(given)) {
    throw new TypeError(`${owner}: hyperparams must be an object of numbers by name`);
  }
  for (const [k, v] of Object.entries(given)) {
    fallback[k] = checkNumber(owner, `hyperparams.${k}`, v, "(-inf, inf)");
  }
  const vScar = resolveVScar(owner, options.vScar);
  const caches = new WeakMap<object, Cache>();
  const cacheFor = (state: ObserveState<S>): Cache => {
    const key = (state.inner ?? state) as object;
    let c = caches.get(key);
    if (!c) {
      c = {
        found: introspect(inner as AnyTransformation, state.inner),
        paths: undefined,
        decayMask: undefined,
      };
      caches.set(key, c);
    }
    return c;
  };

  // The fused kernels' view of `update` (see wrappers/fusion.ts).
  const fusion: WrapperFusion = {
    kind: "observe",
    owner,
    inner: () => inner as AnyTransformation,
    unfusible: vScar
      ? "observe's v-scar estimate reads every gradient (the reference chain runs it)"
      : undefined,
    reports: (s) => ((s as ObserveState<S>).count + 1) % every === 0,
    before(s, grads, params) {
      const state = s as ObserveState<S>;
      const cache = cacheFor(state);
      cache.paths ??= flatten(params).paths;
      return gather(grads, state, cache);
    },
    after: (s) => after(s as ObserveState<S>, cacheFor(s as ObserveState<S>)),
    report(s, before, updates, oldParams, params, clipScale) {
      const state = s as ObserveState<S>;
      onStats(summarize(before as Before, updates, state, params, oldParams, cacheFor(state), clipScale));
    },
  };

  return {
    ...innerHyperparams(inner as AnyTransformation),
    fusion,
    init(params) {
      const s: ObserveState<S> = { count: 0, clippedSteps: 0, inner: inner.init(params) };
      if (vScar) s.typical = buffersLike(params);
      return s;
    },
    update(updates: Tree, state, params) {
      const t = state.count + 1;
      const report = t % every === 0;
      const cache = cacheFor(state);
      if (vScar) {
        if (!state.typical)
          throw new TypeError(`${owner}: the state has no v-scar estimate; init it with vScar on`);
        const gs = updateLeaves(owner, updates, state.typical);
        for (let i = 0; i < gs.length; i++) updateTypicalGradSq(state.typical[i]!, gs[i]!, t, vScar);
      }
      let before: Before | undefined;
      if (report) {
        if (params !== undefined) assertSameStructure(params, updates, { what: "updates", dtype: true });
        cache.paths ??= flatten(updates).paths;
        before = gather(leavesOf(updates), state, cache);
      }
      const out = inner.update(updates, state.inner, params);
      const clipScale = after(state, cache);
      if (before) {
        const ps = params === undefined ? undefined : leavesOf(params);
        onStats(summarize(before, leavesOf(out), state, params, ps, cache, clipScale));
      }
      return out;
    },
  };

  /** What `update` does after the wrapped update: the counts. Returns this step's clip scale. */
  function after(state: ObserveState<S>, cache: Cache): number {
    state.count += 1;
    const clip = cache.found.clip;
    let clipScale = 1;
    if (clip) {
      clipScale = Math.min((1 / (clip.state.totalNorm + 1e-6)) * clip.maxNorm, 1);
      if (clipScale < 1) state.clippedSteps += 1;
    }
    return clipScale;
  }

  function gather(gs: readonly FloatArray[], state: ObserveState<S>, cache: Cache): Before {
    const gradSq = new Float64Array(gs.length);
    const gradBad = new Int32Array(gs.length);
    for (let i = 0; i < gs.length; i++) {
      const sq = sumSquares(gs[i]!);
      gradSq[i] = sq.sum;
      gradBad[i] = sq.bad;
    }
    // The values this update will use: the live view before it runs, else the alias's own.
    const { alias } = cache.found;
    const hyper: Record<string, number> = alias ? aliasHyperparams(alias.spec, aliasCount(alias.state)) : {};
    const view = inner.hyperparams?.(state.inner);
    if (view) for (const k of Object.keys(view)) hyper[k] = view[k]!;
    for (const [k, v] of Object.entries(fallback)) if (!(k in hyper)) hyper[k] = v;
    return { gradSq, gradBad, hyper, liveView: view !== undefined };
  }

  function summarize(
    b: Before,
    us: readonly FloatArray[],
    state: ObserveState<S>,
    params: Tree | undefined,
    ps: readonly FloatArray[] | undefined,
    cache: Cache,
    clipScale: number,
  ): OptimizerStats {
    const unavailable: Record<string, string> = {};
    const paths = cache.paths!;
    const n = us.length;
    const { found } = cache;
    const hyper = b.hyper;
    const hasHyper = Object.keys(hyper).length > 0;

    // Decoupled decay: only an alias says that its decay is decoupled, and which leaves it masks.
    let decayC = 0;
    let decayOn: boolean[] | undefined;
    let decayWhy = "";
    const spec = found.alias?.spec;
    if (!spec) decayWhy = "no optimizer alias (adamw, sgdw…) found: whether decay is decoupled is unknown";
    else if (!isActive(spec.decoupled)) decayWhy = `${spec.owner} has no decoupled weight decay`;
    else if (!ps) decayWhy = "update was called without params";
    else if (hyper.lr === undefined || hyper.weightDecay === undefined)
      decayWhy = "lr or weightDecay unknown";
    else {
      cache.decayMask ??= resolveMask(spec.mask, params!);
      decayOn = cache.decayMask;
      decayC = hyper.lr * hyper.weightDecay;
    }

    const updSq = new Float64Array(n);
    const updBad = new Int32Array(n);
    const parSq = new Float64Array(n);
    let parBad = 0;
    let pullSq = 0;
    let stepSq = 0;
    for (let i = 0; i < n; i++) {
      const u = us[i]!;
      const p = ps?.[i];
      const decayed = decayOn?.[i] ?? false;
      const fast = p ? jointSquares(u, p, decayed ? decayC : 0) : undefined;
      const su = fast ? { sum: fast.u, bad: 0 } : sumSquares(u);
      updSq[i] = su.sum;
      updBad[i] = su.bad;
      if (!p) continue;
      const sp = fast ? { sum: fast.p, bad: 0 } : sumSquares(p);
      parSq[i] = sp.sum;
      parBad += sp.bad;
      if (decayed) {
        stepSq += fast ? fast.shifted : shiftedSquares(u, p, decayC);
        pullSq += sp.sum;
      } else if (decayOn) stepSq += su.sum; // an undecayed leaf: its whole update is the gradient step
    }
    const sum = (a: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i]!;
      return s;
    };
    const gradNorm = Math.sqrt(sum(b.gradSq));
    const updateNorm = Math.sqrt(sum(updSq));
    const paramNorm = ps ? Math.sqrt(sum(parSq)) : null;
    if (!ps) unavailable.paramNorm = "update was called without params";
    const ratio = (u: number, p: number | null) => (p === null || p === 0 ? null : u / p);
    const updateToParam = ratio(updateNorm, paramNorm);
    if (updateToParam === null)
      unavailable.updateToParam = ps ? "‖p‖ = 0" : "update was called without params";

    let decay: DecayStats | null = null;
    if (decayOn) {
      const pullNorm = Math.abs(decayC) * Math.sqrt(pullSq);
      const stepNorm = Math.sqrt(stepSq);
      decay = {
        weightDecay: hyper.weightDecay!,
        pullNorm,
        stepNorm,
        ratio: stepNorm === 0 ? null : pullNorm / stepNorm,
      };
    } else unavailable.decay = decayWhy;

    let clip: ClipStats | null = null;
    if (found.clip) {
      clip = {
        maxNorm: found.clip.maxNorm,
        totalNorm: found.clip.state.totalNorm,
        scale: clipScale,
        clipped: clipScale < 1,
        clippedSteps: state.clippedSteps,
        clippedFraction: state.clippedSteps / state.count,
      };
    } else unavailable.clip = "no clipByGlobalNorm found in the observed chain";

    // Adam family: the state, and lr, β2 and ε to read it with.
    const adam = found.adam?.state;
    const v = adam ? (adam.maxExpAvgSq ?? adam.expAvgSq) : undefined;
    let adamWhy = "";
    if (!adam || !v) adamWhy = "no Adam-family state (expAvgSq) found";
    else if (v.length !== n || v.some((x, i) => x.length !== us[i]!.length))
      adamWhy = "the Adam-family state does not cover every leaf (e.g. inside partition)";
    else if (adam.count === 0) adamWhy = "the Adam-family state has not been updated yet";
    const beta2 = hyper["betas[1]"];
    const eps = hyper.eps;
    const missing = (names: string[]) => names.filter((k) => hyper[k] === undefined);
    let effective: ReturnType<typeof effectiveLr> | undefined;
    if (!adamWhy) {
      const lack = missing(["lr", "betas[1]", "eps"]);
      if (lack.length === 0) {
        effective = effectiveLr({
          v: v!,
          lr: hyper.lr!,
          beta2: beta2!,
          eps: eps!,
          count: adam!.count,
          sampleSize,
          seed: state.count,
        });
        if (!effective.global) unavailable.effectiveLr = "no coordinate has a finite second moment";
      } else unavailable.effectiveLr = unknownWhy(lack, b.liveView);
    } else unavailable.effectiveLr = adamWhy;

    let vScarReport: OptimizerStats["vScar"] = null;
    if (!vScar) unavailable.vScar = "off (observe's vScar option)";
    else if (adamWhy) unavailable.vScar = adamWhy;
    else if (beta2 === undefined) unavailable.vScar = unknownWhy(["betas[1]"], b.liveView);
    else {
      vScarReport = findVScars(
        {
          paths,
          v: v!,
          count: adam!.count,
          beta2,
          amsgrad: adam!.maxExpAvgSq !== undefined,
          typical: state.typical!,
          typicalCount: state.count,
        },
        vScar,
      );
    }

    if (!hasHyper) unavailable.hyperparams = "no optimizer alias or injectHyperparams found";
    let leaves: LeafStats[] | null = null;
    if (perLeaf) {
      leaves = [];
      for (let i = 0; i < n; i++) {
        const gn = Math.sqrt(b.gradSq[i]!);
        const un = Math.sqrt(updSq[i]!);
        const pn = ps ? Math.sqrt(parSq[i]!) : null;
        leaves.push({
          path: paths[i]!,
          size: us[i]!.length,
          gradNorm: gn,
          updateNorm: un,
          paramNorm: pn,
          updateToParam: ratio(un, pn),
          nonFiniteGrads: b.gradBad[i]!,
          nonFiniteUpdates: updBad[i]!,
          effectiveLr: effective?.leaves[i] ?? null,
        });
      }
    } else unavailable.leaves = "perLeaf: false";

    return {
      step: state.count,
      gradNorm,
      updateNorm,
      paramNorm,
      updateToParam,
      nonFinite: { grads: sum(b.gradBad), updates: sum(updBad), params: ps ? parBad : null },
      clip,
      effectiveLr: effective?.global ?? null,
      decay,
      hyperparams: hasHyper ? { ...hyper } : null,
      vScar: vScarReport,
      leaves,
      unavailable,
    };
  }
}

/**
 * Σx² over the finite entries, and how many are not finite. The fast loop sums everything: a finite
 * sum means every entry was finite; otherwise a second loop separates them.
 */
function sumSquares(a: FloatArray): { sum: number; bad: number } {
  // four accumulators: a single one makes the loop wait on each addition's latency
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  const n4 = n - (n % 4);
  let j = 0;
  for (; j < n4; j += 4) {
    const x0 = a[j]!;
    const x1 = a[j + 1]!;
    const x2 = a[j + 2]!;
    const x3 = a[j + 3]!;
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  for (; j < n; j++) s0 += a[j]! * a[j]!;
  let s = s0 + s1 + s2 + s3;
  if (s - s === 0) return { sum: s, bad: 0 };
  s = 0;
  let bad = 0;
  for (let j = 0; j < a.length; j++) {
    const x = a[j]!;
    const x2 = x * x;
    if (x2 - x2 === 0) s += x2;
    else bad += 1;
  }
  return { sum: s, bad };
}

/**
 * Σu², Σp² and Σ(u + c·p)² in one pass, or undefined when an entry is not finite (the sums then
 * come from `sumSquares` and `shiftedSquares`).
 */
function jointSquares(
  u: FloatArray,
  p: FloatArray,
  c: number,
): { u: number; p: number; shifted: number } | undefined {
  // two accumulators each, for the same reason as in sumSquares
  let su0 = 0;
  let su1 = 0;
  let sp0 = 0;
  let sp1 = 0;
  let ss0 = 0;
  let ss1 = 0;
  const n = u.length;
  const n2 = n - (n % 2);
  let j = 0;
  for (; j < n2; j += 2) {
    const x0 = u[j]!;
    const x1 = u[j + 1]!;
    const y0 = p[j]!;
    const y1 = p[j + 1]!;
    const r0 = x0 + c * y0;
    const r1 = x1 + c * y1;
    su0 += x0 * x0;
    su1 += x1 * x1;
    sp0 += y0 * y0;
    sp1 += y1 * y1;
    ss0 += r0 * r0;
    ss1 += r1 * r1;
  }
  if (j < n) {
    const x = u[j]!;
    const y = p[j]!;
    const r = x + c * y;
    su0 += x * x;
    sp0 += y * y;
    ss0 += r * r;
  }
  const su = su0 + su1;
  const sp = sp0 + sp1;
  const ss = ss0 + ss1;
  return su - su === 0 && sp - sp === 0 && ss - ss === 0 ? { u: su, p: sp, shifted: ss } : undefined;
}

/** Σ(u + c·p)² over the finite terms: the update without its decoupled decay part. */
function shiftedSquares(u: FloatArray, p: FloatArray, c: number): number {
  let s = 0;
  for (let j = 0; j < u.length; j++) {
    const r = u[j]! + c * p[j]!;
    s += r * r;
  }
  if (s - s === 0) return s;
  s = 0;
  for (let j = 0; j < u.length; j++) {
    const r = u[j]! + c * p[j]!;
    const r2 = r * r;
    if (r2 - r2 === 0) s += r2;
  }
  return s;
}

function unknownWhy(names: string[], liveView: boolean): string {
  const list = names.join(", ");
  return liveView
    ? `${list} unknown: pass them to injectHyperparams (or to observe's hyperparams option)`
    : `${list} unknown: no optimizer alias found; pass them in observe's hyperparams option`;
}

function resolveVScar(
  owner: string,
  o: boolean | VScarOptions | undefined,
): ResolvedVScarOptions | undefined {
  if (o === undefined || o === false) return undefined;
  if (o !== true && (o === null || typeof o !== "object")) {
    throw new TypeError(`${owner}: vScar must be true, false or an options object`);
  }
  const given = o === true ? {} : o;
  checkOptions(`${owner}: vScar`, given, ["window", "factor", "recoverFactor", "maxReported"]);
  const window = checkNumber(owner, "vScar.window", given.window ?? 100, "[1, inf)");
  const factor = checkNumber(owner, "vScar.factor", given.factor ?? 10, "(1, inf)");
  const recoverFactor = checkNumber(owner, "vScar.recoverFactor", given.recoverFactor ?? 2, `(1, ${factor}]`);
  const maxReported = checkInteger(owner, "vScar.maxReported", given.maxReported ?? 20, "[0, inf)");
  return { window, factor, recoverFactor, maxReported };
}
