import { checkInteger, checkNumber, checkOptions } from "../hyper.js";
import { type AnyTransformation, type GradientTransformation, paramLeaves } from "../transform.js";
import { type FloatArray, leavesOf, type Tree } from "../tree.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** State of `lookahead`: the slow weights, beside the wrapped (fast) optimizer's state. */
export interface LookaheadState<S = unknown> extends Wrapped<S> {
  /** Updates applied so far. */
  count: number;
  /** The slow weights. */
  slow: FloatArray[];
}

/**
 * Lookahead (Zhang et al. 2019): `tx` moves the (fast) params; every k-th update the slow weights
 * move a fraction α toward them, `s ← s + α(p − s)`, and the params are reset to s.
 * Defaults k = 5, α = 0.5.
 */
export function lookahead<S>(
  tx: GradientTransformation<S>,
  options: {
    /** Synchronize every k-th update, an integer ≥ 1. Default 5. */
    k?: number;
    /** Step size α of the slow weights toward the fast ones, in [0, 1]. Default 0.5. */
    alpha?: number;
  } = {},
): GradientTransformation<LookaheadState<S>> {
  const owner = "lookahead";
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  checkOptions(owner, options, ["k", "alpha"]);
  const k = checkInteger(owner, "k", options.k ?? 5, "[1, inf)");
  const alpha = checkNumber(owner, "alpha", options.alpha ?? 0.5, "[0, 1]");
  return {
    ...innerHyperparams(inner as AnyTransformation),
    buffers: (state, params) => ({ ...inner.buffers?.(state.inner, params), slow: state.slow }),
    init: (params) => ({ count: 0, slow: leavesOf(params).map((d) => d.slice()), inner: inner.init(params) }),
    update(updates: Tree, state, params) {
      const ps = paramLeaves(owner, params, state.slow.length);
      const out = inner.update(updates, state.inner, params);
      state.count += 1;
      if (state.count % k !== 0) return out;
      const us = leavesOf(out);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const s = state.slow[i]!;
        for (let j = 0; j < u.length; j++) {
          s[j]! += alpha * (p[j]! + u[j]! - s[j]!);
          u[j] = s[j]! - p[j]!;
        }
      }
      return out;
    },
  };
}
