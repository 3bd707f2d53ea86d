import {
  checkHyper,
  checkNumber,
  checkOptions,
  type Hyper,
  ownerOption,
  showValue,
  valueAt,
} from "../hyper.js";
import {
  type AnyTransformation,
  buffersLike,
  type GradientTransformation,
  paramLeaves,
} from "../transform.js";
import { type FloatArray, leavesOf, mapTree, type Tree } from "../tree.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** Options of `scheduleFree`. */
export interface ScheduleFreeOptions {
  /**
   * γ_t, the learning rate the inner transform steps z with at this count (warmup and any bias
   * correction included). It weights the average: `c_{t+1} = w_t/Σw`, `w_t = (t+1)^r·(max_{s≤t} γ_s)^p`.
   */
  lr: Hyper;
  /** β1 of the interpolation `y = (1−β1)·z + β1·x` (default 0.9; may follow a schedule). */
  beta1?: Hyper;
  /** p, the power of the largest lr so far in the averaging weights (default 2). */
  weightLrPower?: number;
  /** r, the polynomial weighting (t+1)^r (default 0). */
  r?: number;
  /** The params the inner transform sees: "y" (default, where the gradient is taken) or "z". */
  innerParams?: "y" | "z";
  /** Name used in error messages (scheduleFreeAdamw passes its own). Default "scheduleFree". */
  owner?: string;
}

/** State of `scheduleFree`: the sequences z, x (and y while evaluating) and the averaging weights. */
export interface ScheduleFreeState<S = unknown> extends Wrapped<S> {
  /** Updates applied so far. */
  count: number;
  /** False between `scheduleFreeEval` and `scheduleFreeTrain`: the params hold x, and stepping throws. */
  trainMode: boolean;
  /** The largest lr seen so far. */
  lrMax: number;
  /** Σ of the averaging weights so far. */
  weightSum: number;
  /** The base sequence z (what the inner optimizer steps). */
  z: FloatArray[];
  /** The average x (what you evaluate). */
  x: FloatArray[];
  /** The train-mode params y, kept here while the params hold x. */
  y: FloatArray[];
}

/**
 * Schedule-Free learning (Defazio et al. 2024, "The Road Less Scheduled"), following the reference
 * `AdamWScheduleFreeReference` of facebookresearch/schedule_free. The params are y, where gradients
 * are taken; each update, with k = count and γ = `lr(k)`:
 * `γmax ← max(γmax, γ)`, `w = (k+1)^r · γmax^p`, `Σw ← Σw + w`, `c = w/Σw` (0 while Σw = 0),
 * `z ← z + Δz` (Δz: the inner transform's output, e.g. `−γ·(g/(√v + ε) + λy)`),
 * `x ← (1−c)·x + c·z`, `y ← β1·x + (1−β1)·z`; the update returned is `y_new − y`.
 * z and x start as copies of the params at the first update (not at init), as in the reference.
 * The inner transform must be momentum-free: the interpolation replaces momentum.
 * Evaluate at x: `scheduleFreeEval(state, params)` swaps it in, `scheduleFreeTrain` swaps y back.
 */
export function scheduleFree<S>(
  inner: GradientTransformation<S>,
  options: ScheduleFreeOptions,
): GradientTransformation<ScheduleFreeState<S>> {
  const owner = ownerOption(options, "scheduleFree");
  const tx = checkInner(owner, inner) as GradientTransformation<S>;
  if (options === undefined) throw new TypeError(`${owner}: an options object with lr is required`);
  checkOptions(owner, options, ["lr", "beta1", "weightLrPower", "r", "innerParams", "owner"]);
  if (options.lr === undefined) throw new TypeError(`${owner}: option 'lr' is required`);
  const lr = checkHyper(owner, "lr", options.lr, "[0, inf)");
  const beta1 = checkHyper(owner, "betas[0]", options.beta1 ?? 0.9, "[0, 1)");
  const power = checkNumber(owner, "weightLrPower", options.weightLrPower ?? 2, "[0, inf)");
  const r = checkNumber(owner, "r", options.r ?? 0, "[0, inf)");
  const at = options.innerParams ?? "y";
  if (at !== "y" && at !== "z") {
    throw new RangeError(`${owner}: innerParams must be "y" or "z", got ${showValue(at)}`);
  }
  return {
    ...innerHyperparams(tx as AnyTransformation),
    buffers: (state, params) => ({
      ...tx.buffers?.(state.inner, params),
      z: state.z,
      x: state.x,
      y: state.y,
    }),
    init: (params) => ({
      count: 0,
      trainMode: true,
      lrMax: 0,
      weightSum: 0,
      z: buffersLike(params),
      x: buffersLike(params),
      y: buffersLike(params),
      inner: tx.init(params),
    }),
    update(updates: Tree, state, params) {
      if (!state.trainMode) {
        throw new Error(
          `${owner}: the params hold x (eval mode); call scheduleFreeTrain(state, params) before stepping`,
        );
      }
      const n = leavesOf(updates).length;
      const ps = paramLeaves(owner, params, n);
      if (state.z.length !== n) {
        throw new TypeError(
          `${owner}: updates have ${n} leaves but the state was made for ${state.z.length}`,
        );
      }
      const k = state.count;
      if (k === 0) {
        for (let i = 0; i < n; i++) {
          state.z[i]!.set(ps[i]!);
          state.x[i]!.set(ps[i]!);
        }
      }
      const gamma = valueAt(owner, "lr", lr, k, "[0, inf)");
      const b1 = valueAt(owner, "betas[0]", beta1, k, "[0, 1)");
      const lrMax = Math.max(state.lrMax, gamma);
      const weight = (k + 1) ** r * lrMax ** power;
      const weightSum = state.weightSum + weight;
      const ck = weightSum === 0 ? 0 : weight / weightSum;
      let zi = 0;
      const innerParams = at === "y" ? params : mapTree(params!, () => state.z[zi++]!);
      const dz = leavesOf(tx.update(updates, state.inner, innerParams));
      for (let i = 0; i < n; i++) {
        const z = state.z[i]!;
        const x = state.x[i]!;
        const p = ps[i]!;
        const u = dz[i]!;
        for (let j = 0; j < u.length; j++) {
          z[j]! += u[j]!;
          x[j] = x[j]! * (1 - ck) + z[j]! * ck;
          u[j] = x[j]! * b1 + z[j]! * (1 - b1) - p[j]!;
        }
      }
      state.lrMax = lrMax;
      state.weightSum = weightSum;
      state.count = k + 1;
      return rewrap(updates, dz);
    },
  };
}

/** The inner transform may return new arrays: make sure the caller's tree holds the results. */
function rewrap(updates: Tree, results: FloatArray[]): Tree {
  const us = leavesOf(updates);
  for (let i = 0; i < us.length; i++) if (us[i] !== results[i]) us[i]!.set(results[i]!);
  return updates;
}

function isScheduleFreeState(s: unknown): s is ScheduleFreeState {
  if (s === null || typeof s !== "object" || Array.isArray(s)) return false;
  const o = s as Partial<ScheduleFreeState>;
  return typeof o.trainMode === "boolean" && Array.isArray(o.z) && Array.isArray(o.x) && Array.isArray(o.y);
}

/** The schedule-free state inside an optimizer's state (a chain's list, a wrapper's `inner`…). */
function find(owner: string, state: unknown, params: Tree): ScheduleFreeState {
  const found: ScheduleFreeState[] = [];
  const walk = (s: unknown): void => {
    if (isScheduleFreeState(s)) found.push(s);
    else if (Array.isArray(s)) s.forEach(walk);
    else if (s !== null && typeof s === "object" && !ArrayBuffer.isView(s)) Object.values(s).forEach(walk);
  };
  walk(state);
  if (found.length !== 1) {
    throw new TypeError(
      found.length === 0
        ? `${owner}: no schedule-free state found (pass the state of scheduleFreeAdamw or scheduleFree, e.g. opt.state)`
        : `${owner}: found ${found.length} schedule-free states; pass the one you mean`,
    );
  }
  const s = found[0]!;
  const ps = leavesOf(params);
  if (s.z.length !== ps.length) {
    throw new TypeError(`${owner}: the state was made for ${s.z.length} leaves, params have ${ps.length}`);
  }
  ps.forEach((p, i) => {
    if (p.length !== s.z[i]!.length) {
      throw new TypeError(`${owner}: leaf ${i} has length ${p.length}, its state ${s.z[i]!.length}`);
    }
  });
  return s;
}

/**
 * Switches the params to x, the average to evaluate (the reference's `optimizer.eval()`): the train
 * params y are kept in the state and the state is marked as in eval mode (stepping then throws). No-op
 * when already in eval mode; before the first update x is the params themselves.
 */
export function scheduleFreeEval(state: unknown, params: Tree): void {
  const s = find("scheduleFreeEval", state, params);
  if (!s.trainMode) return;
  leavesOf(params).forEach((p, i) => {
    s.y[i]!.set(p);
    if (s.count > 0) p.set(s.x[i]!);
  });
  s.trainMode = false;
}

/** Switches the params back to y, exactly as they were before `scheduleFreeEval` (the reference's `optimizer.train()`). */
export function scheduleFreeTrain(state: unknown, params: Tree): void {
  const s = find("scheduleFreeTrain", state, params);
  if (s.trainMode) return;
  leavesOf(params).forEach((p, i) => {
    p.set(s.y[i]!);
  });
  s.trainMode = true;
}

/** x as a new tree shaped like `params`, without switching anything (Optax's `schedule_free_eval_params`). */
export function scheduleFreeEvalParams(state: unknown, params: Tree): Tree {
  const s = find("scheduleFreeEvalParams", state, params);
  const xs = s.trainMode && s.count > 0 ? s.x : undefined; // in eval mode the params are x
  let i = 0;
  return mapTree(params, (d) => (xs ? xs[i++]! : d).slice());
}
