import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, paramLeaves, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByAsgd`. */
export interface ScaleByAsgdOptions {
  /** Base learning rate lr, ≥ 0: the first step's η. Default 0.01. */
  lr?: number;
  /** λ ≥ 0: the decay term's strength, and how fast η falls. Default 1e-4. */
  lambd?: number;
  /** α ≥ 0: the power η falls with. Default 0.75. */
  alpha?: number;
  /** t0 ≥ 0: the update count after which averaging starts (before it the average is the params). Default 1e6. */
  t0?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByAsgd". */
  owner?: string;
}

/** State of `scaleByAsgd`. */
export interface ScaleByAsgdState {
  /** Updates applied so far. */
  count: number;
  /** The step size η of the next update, PyTorch's `eta`. */
  eta: number;
  /** The averaging weight μ of the next update, PyTorch's `mu`. */
  mu: number;
  /** The averaged params, PyTorch's `ax`: what ASGD means you to evaluate. */
  ax: FloatArray[];
}

/**
 * Averaged SGD's update (Polyak & Juditsky 1992; PyTorch's `ASGD`, op for op), for the gradient `g`
 * (with any L2 term already added): `p ← p·(1 − λ·η) − η·g`, then the average
 * `ax ← ax + μ·(p − ax)` (`ax ← p` while μ = 1), then `η ← lr / (1 + λ·lr·t)^α` and
 * `μ ← 1 / max(1, t − t0)` for the next update (t: updates so far). Outputs the change of `p`; reads
 * the params. In float32, η and μ are float32 numbers, as PyTorch's scalar state tensors are.
 */
export function scaleByAsgd(options: ScaleByAsgdOptions = {}): GradientTransformation<ScaleByAsgdState> {
  const owner = ownerOption(options, "scaleByAsgd");
  checkOptions(owner, options, ["lr", "lambd", "alpha", "t0", "owner"]);
  const lr = checkNumber(owner, "lr", options.lr ?? 0.01, "[0, inf)");
  const lambd = checkNumber(owner, "lambd", options.lambd ?? 1e-4, "[0, inf)");
  const alpha = checkNumber(owner, "alpha", options.alpha ?? 0.75, "[0, inf)");
  const t0 = checkNumber(owner, "t0", options.t0 ?? 1e6, "[0, inf)");
  return {
    config: () => ({ lr, lambd, alpha, t0 }),
    init: (params) => ({ count: 0, eta: lr, mu: 1, ax: buffersLike(params) }),
    buffers: (state) => ({ ax: state.ax }),
    update(updates: Tree, state, params) {
      const us = updateLeaves(owner, updates, state.ax);
      const ps = paramLeaves(owner, params, us.length);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const ax = state.ax[i]!;
        const f32 = u instanceof Float32Array;
        const round = f32 ? Math.fround : (x: number) => x;
        const eta = round(state.eta);
        const mu = round(state.mu);
        const shrink = round(1 - lambd * eta);
        for (let j = 0; j < u.length; j++) {
          // p·(1 − λη) and −η·g rounded as the param's dtype rounds them; x − p is exact for small
          // steps (Sterbenz), so applying the update gives x itself
          const x = round(round(p[j]! * shrink) + -eta * u[j]!);
          ax[j] = mu !== 1 ? round(ax[j]! + round(round(x - ax[j]!) * mu)) : x;
          u[j] = x - p[j]!;
        }
      }
      state.count += 1;
      const t = state.count;
      state.eta = lr / (1 + lambd * lr * t) ** alpha;
      state.mu = 1 / Math.max(1, t - t0);
      return updates;
    },
  };
}
