import { checkBoolean, checkNumber, checkOptions } from "../hyper.js";
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

/** Polyak–Ruppert (SWA) averaging: the plain mean of the params after every update so far. */
export function polyak<S>(tx: GradientTransformation<S>): Averaging<S> {
  return averaging("polyak", tx, "uniform", false);
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
): Averaging<S> {
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  const fusion: WrapperFusion = { kind: "average", owner, decay, inner: () => inner };
  return {
    ...innerHyperparams(inner as AnyTransformation),
    fusion,
    decay,
    debias,
    init: (params) => ({ count: 0, average: buffersLike(params), inner: inner.init(params) }),
    update(updates: Tree, state, params) {
      const out = inner.update(updates, state.inner, params);
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
export function averagedParams<S>(tx: Averaging<S>, state: AverageState<S>, params: Tree): Tree {
  const correction = tx.debias && tx.decay !== "uniform" && state.count > 0 ? 1 - tx.decay ** state.count : 1;
  let i = 0;
  return mapTree(params, (d) => {
    const a = state.average[i++]!;
    const out = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
    for (let j = 0; j < out.length; j++) out[j] = a[j]! / correction;
    return out;
  });
}
