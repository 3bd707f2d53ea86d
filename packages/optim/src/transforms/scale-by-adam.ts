import {
  checkBoolean,
  checkHyper,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  showValue,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByAdam`. */
export interface ScaleByAdamOptions {
  /** (β1, β2), each in [0, 1); β1 may follow a schedule (e.g. cycled momentum). Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator after the bias correction, as PyTorch does; ≥ 0. Default 1e-8. */
  eps?: number;
  /** AMSGrad: divide by the largest second moment seen so far. Default false. */
  amsgrad?: boolean;
  /** Divide by 1−β1ᵗ and √(1−β2ᵗ) (default true; LAMB and NVIDIA's `bias_correction=False` turn it off). */
  biasCorrection?: boolean;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByAdam". */
  owner?: string;
}

/** State of `scaleByAdam` (PyTorch's names): the step count and the two moments, one buffer per leaf. */
export interface ScaleByAdamState {
  /** Updates applied so far. */
  count: number;
  /** First moment m, the running average of the updates. */
  expAvg: FloatArray[];
  /** Second moment v, the running average of their squares. */
  expAvgSq: FloatArray[];
  /** Only with amsgrad. */
  maxExpAvgSq?: FloatArray[];
}

/**
 * Adam's preconditioner. With t = count + 1:
 * `m ← β1·m + (1−β1)·u`, `v ← β2·v + (1−β2)·u²`, (AMSGrad: `v̂max ← max(v̂max, v)` and use it for v),
 * output `(m / (1−β1ᵗ)) / (√v / √(1−β2ᵗ) + ε)` — ε added after the bias correction, as PyTorch does.
 * Without bias correction the output is `m / (√v + ε)`. The bias corrections use the current β1, so a scheduled β1 behaves as PyTorch's cycled betas.
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const owner = ownerOption(options, "scaleByAdam");
  checkOptions(owner, options, ["betas", "eps", "amsgrad", "biasCorrection", "owner"]);
  const [b1, b2] = checkBetas(owner, options.betas);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const amsgrad = checkBoolean(owner, "amsgrad", options.amsgrad ?? false);
  const correct = checkBoolean(owner, "biasCorrection", options.biasCorrection ?? true);
  return {
    config: (state) => ({
      "betas[0]": hyperAt(b1, state.count),
      "betas[1]": b2,
      eps,
      amsgrad,
      biasCorrection: correct,
    }),
    init(params) {
      const s: ScaleByAdamState = { count: 0, expAvg: buffersLike(params), expAvgSq: buffersLike(params) };
      if (amsgrad) s.maxExpAvgSq = buffersLike(params);
      return s;
    },
    buffers: (state) => ({
      expAvg: state.expAvg,
      expAvgSq: state.expAvgSq,
      ...(state.maxExpAvgSq ? { maxExpAvgSq: state.maxExpAvgSq } : {}),
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.expAvg);
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = correct ? 1 - beta1 ** t : 1;
      const bc2Sqrt = correct ? Math.sqrt(1 - b2 ** t) : 1;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        const v = state.expAvgSq[i]!;
        const vmax = amsgrad ? state.maxExpAvgSq![i]! : v;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          m[j] = beta1 * m[j]! + (1 - beta1) * g;
          v[j] = b2 * v[j]! + (1 - b2) * g * g;
          if (amsgrad && v[j]! > vmax[j]!) vmax[j] = v[j]!;
          u[j] = m[j]! / bc1 / (Math.sqrt(vmax[j]!) / bc2Sqrt + eps);
        }
      }
      state.count = t;
      return updates;
    },
  };
}

/** Validates `betas`: β1 in [0, 1) (or a schedule), β2 in [0, 1). */
export function checkBetas(owner: string, betas: readonly [Hyper, number] | undefined): [Hyper, number] {
  if (betas === undefined) return [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`${owner}: betas must be a pair [beta1, beta2], got ${showValue(betas)}`);
  }
  return [
    checkHyper(owner, "betas[0]", betas[0], "[0, 1)"),
    checkNumber(owner, "betas[1]", betas[1], "[0, 1)"),
  ];
}
