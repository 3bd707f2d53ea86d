import { checkNumber, checkOptions, ownerOption, showValue } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByAdan`: Optax's `scale_by_adan`'s. */
export interface ScaleByAdanOptions {
  /** (β1, β2, β3): decay rates of the gradient's, the gradient difference's and the squared look-ahead's averages, each in [0, 1). Default [0.98, 0.92, 0.99]. */
  betas?: readonly [number, number, number];
  /** Added to the denominator √n̂, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Added to n̂ inside the square root, ≥ 0. Default 0. */
  epsRoot?: number;
  /** Name used in error messages. Default "scaleByAdan". */
  owner?: string;
}

/** State of `scaleByAdan`: the count, three moments and the previous gradient. */
export interface ScaleByAdanState {
  /** Updates applied so far. */
  count: number;
  /** m: the gradient's average. */
  expAvg: FloatArray[];
  /** v: the average of the gradient's change since the last update. */
  expAvgDiff: FloatArray[];
  /** n: the average of the squared look-ahead gradient g + β2·(g − g_prev)... as Optax writes it. */
  expAvgSq: FloatArray[];
  /** The previous update's gradient. */
  prevGrad: FloatArray[];
}

/** Checks a triple of betas, each in [0, 1). */
export function checkBetas3(
  owner: string,
  betas: unknown,
  dflt: readonly [number, number, number],
): [number, number, number] {
  if (betas === undefined) return [...dflt];
  if (!Array.isArray(betas) || betas.length !== 3)
    throw new RangeError(
      `${owner}: betas must be three numbers [beta1, beta2, beta3], got ${showValue(betas)}`,
    );
  return [0, 1, 2].map((i) => checkNumber(owner, `betas[${i}]`, betas[i], "[0, 1)")) as [
    number,
    number,
    number,
  ];
}

/**
 * Adan's preconditioner (Xie et al. 2022, "Adan: Adaptive Nesterov Momentum Algorithm", Algorithm 1),
 * as Optax's `scale_by_adan`. With d = u − u_prev (0 at the first update):
 * `m ← (1−β1)·u + β1·m`, `v ← (1−β2)·d + β2·v`, `n ← (1−β3)·(u + (1−β2)·d)² + β3·n`, then with
 * t = count + 1 and each average divided by its own 1 − βᵗ, output `(m̂ + (1−β2)·v̂)/(√(n̂ + εroot) + ε)`.
 */
export function scaleByAdan(options: ScaleByAdanOptions = {}): GradientTransformation<ScaleByAdanState> {
  const owner = ownerOption(options, "scaleByAdan");
  checkOptions(owner, options, ["betas", "eps", "epsRoot", "owner"]);
  const [b1, b2, b3] = checkBetas3(owner, options.betas, [0.98, 0.92, 0.99]);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const epsRoot = checkNumber(owner, "epsRoot", options.epsRoot ?? 0, "[0, inf)");
  return {
    config: () => ({ "betas[0]": b1, "betas[1]": b2, "betas[2]": b3, eps, epsRoot }),
    init: (params) => ({
      count: 0,
      expAvg: buffersLike(params),
      expAvgDiff: buffersLike(params),
      expAvgSq: buffersLike(params),
      prevGrad: buffersLike(params),
    }),
    buffers: (state) => ({
      expAvg: state.expAvg,
      expAvgDiff: state.expAvgDiff,
      expAvgSq: state.expAvgSq,
      prevGrad: state.prevGrad,
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const first = state.count === 0;
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const bc3 = 1 - b3 ** t;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgDiff[i]!;
        const n = state.expAvgSq[i]!;
        const prev = state.prevGrad[i]!;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          const d = first ? 0 : g - prev[j]!;
          m[j] = (1 - b1) * g + b1 * m[j]!;
          v[j] = (1 - b2) * d + b2 * v[j]!;
          const sq = g + (1 - b2) * d;
          n[j] = (1 - b3) * (sq * sq) + b3 * n[j]!;
          prev[j] = g;
          u[j] = (m[j]! / bc1 + (1 - b2) * (v[j]! / bc2)) / (Math.sqrt(n[j]! / bc3 + epsRoot) + eps);
        }
      }
      state.count = t;
      return updates;
    },
  };
}
