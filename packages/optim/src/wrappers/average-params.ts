import { checkBoolean, checkInteger, checkNumber, checkOptions } from "../hyper.js";
import {
  type AnyTransformation,
  buffersLike,
  type GradientTransformation,
  paramLeaves,
} from "../transform.js";
import { type FloatArray, leavesOf, mapTree, type Tree } from "../tree.js";
import type { WrapperFusion } from "./fusion.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** State of `ema` and `polyak`: the running average of the params, beside the wrapped state. */
export interface AverageState<S = unknown> extends Wrapped<S> {
  /** Updates averaged so far. */
  count: number;
  /** Updates applied so far, averaged or not (kept only by a `polyak` with `start` or `every`). */
  steps?: number;
  /** The running average, one buffer per leaf (read it with `averagedParams`). */
  average: FloatArray[];
}

/**
 * Exponential moving average of the params after each update (as stored), `a ← d·a + (1 − d)·p`, starting from
 * zero; read it with `averagedParams`, which divides by 1 − dᵗ when `debias` (default) so early
 * averages are not pulled toward zero. The params themselves train as `tx` says.
 */
export function ema<S>(
  tx: GradientTransformation<S>,
  options: {
    /** The average's decay d per update, in [0, 1). Default 0.999. */
    decay?: number;
    /** Divide by 1 − dᵗ when reading the average, so early averages are not pulled toward zero. Default true. */
    debias?: boolean;
  } = {},
): Averaging<S> {
  const owner = "ema";
  checkInner(owner, tx);
  checkOptions(owner, options, ["decay", "debias"]);
  const decay = checkNumber(owner, "decay", options.decay ?? 0.999, "[0, 1)");
  return averaging(owner, tx, decay, checkBoolean(owner, "debias", options.debias ?? true));
}

/** Options of `polyak`: which updates' params enter the mean (SWA's `swa_start` and frequency). */
export interface PolyakOptions {
  /** Updates before averaging begins (an integer ≥ 0): the mean is of the params after updates start + 1, start + 2… Default 0. */
  start?: number;
  /** Average the params after every `every`-th update from `start` on (an integer ≥ 1). Default 1. */
  every?: number;
}

/**
 * Polyak–Ruppert averaging, and stochastic weight averaging (SWA, Izmailov et al. 2018;
 * `torch.optim.swa_utils.AveragedModel`): the plain mean of the params after each update n with
 * n > start and (n − start) divisible by `every` — after every update by default. For SWA, train
 * with the usual schedule until `start`, then with `swaLr` (`sequentialLr([main, swaLr(…)], [start])`),
 * and evaluate with `averagedParams` (recompute batch-norm statistics with them if the model has
 * any, as `update_bn` does). With `start` or `every` the step runs on the reference chain.
 */
export function polyak<S>(tx: GradientTransformation<S>, options: PolyakOptions = {}): Averaging<S> {
  const owner = "polyak";
  checkOptions(owner, options, ["start", "every"]);
  const start = checkInteger(owner, "start", options.start ?? 0, "[0, inf)");
  const every = checkInteger(owner, "every", options.every ?? 1, "[1, inf)");
  return averaging(owner, tx, "uniform", false, start === 0 && every === 1 ? undefined : { start, every });
}

/** What `ema` and `polyak` return: the wrapping transform, carrying what `averagedParams` needs to read it. */
export interface Averaging<S> extends GradientTransformation<AverageState<S>> {
  /** The EMA's decay, or "uniform" for Polyak's plain mean. */
  readonly decay: number | "uniform";
  /** Whether `averagedParams` divides by 1 − decayᵗ. */
  readonly debias: boolean;
}

function averaging<S>(
  owner: string,
  tx: GradientTransformation<S>,
  decay: number | "uniform",
  debias: boolean,
  which?: { start: number; every: number },
): Averaging<S> {
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  // The fused kernels average after every update; a polyak that skips some runs the chain.
  const fusion: WrapperFusion | undefined = which
    ? undefined
    : { kind: "average", owner, decay, inner: () => inner };
  return {
    ...innerHyperparams(inner as AnyTransformation),
    buffers: (state: AverageState<S>, params: Tree) => ({
      ...inner.buffers?.(state.inner, params),
      average: state.average,
    }),
    ...(fusion ? { fusion } : {}),
    decay,
    debias,
    init: (params) => ({
      count: 0,
      ...(which ? { steps: 0 } : {}),
      average: buffersLike(params),
      inner: inner.init(params),
    }),
    update(updates: Tree, state, params) {
      const out = inner.update(updates, state.inner, params);
      if (which) {
        const n = (state.steps ?? 0) + 1;
        state.steps = n;
        if (!(n > which.start && (n - which.start) % which.every === 0)) return out;
      }
      const us = leavesOf(out);
      const ps = paramLeaves(owner, params, us.length);
      const d = decay === "uniform" ? state.count / (state.count + 1) : decay;
      for (let i = 0; i < us.length; i++) {
        const a = state.average[i]!;
        const u = us[i]!;
        const p = ps[i]!;
        // The params as `applyUpdates` will store them (rounded to float32 for a float32 leaf).
        if (p instanceof Float32Array)
          for (let j = 0; j < a.length; j++) a[j] = d * a[j]! + (1 - d) * Math.fround(p[j]! + u[j]!);
        else for (let j = 0; j < a.length; j++) a[j] = d * a[j]! + (1 - d) * (p[j]! + u[j]!);
      }
      state.count += 1;
      return out;
    },
  };
}

/**
 * The averaged params as a new tree shaped like `params`: pass the transform made by `ema`/`polyak`
 * and its state (e.g. `opt.state` when it is the outermost transform).
 */
export function averagedParams<S, P extends Tree>(tx: Averaging<S>, state: AverageState<S>, params: P): P {
  const correction = tx.debias && tx.decay !== "uniform" && state.count > 0 ? 1 - tx.decay ** state.count : 1;
  let i = 0;
  // a new tree of the same shape and dtypes as `params`
  return mapTree(params, (d) => {
    const a = state.average[i++]!;
    const out = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
    for (let j = 0; j < out.length; j++) out[j] = a[j]! / correction;
    return out;
  }) as P;
}
