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
import { type FloatArray, isFloatArray, type Tree } from "../tree.js";
import {
  blockwise,
  type CompactStateOptions,
  compactOptions,
  decodedView,
  type MomentBuffer,
  type MomentStore,
  momentsLike,
  sized,
} from "./compact-state.js";

/** Options of `scaleByAdam`. */
export interface ScaleByAdamOptions extends CompactStateOptions {
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

/**
 * State of `scaleByAdam` (PyTorch's names): the step count and the two moments, one buffer per
 * leaf — float arrays, or with `stateDtype` "bfloat16"/"int8" their compact form (`B`).
 */
export interface ScaleByAdamState<B extends MomentBuffer = FloatArray> {
  /** Updates applied so far. */
  count: number;
  /** First moment m, the running average of the updates. */
  expAvg: B[];
  /** Second moment v, the running average of their squares. */
  expAvgSq: B[];
  /** Only with amsgrad. */
  maxExpAvgSq?: B[];
}

/**
 * Adam's preconditioner. With t = count + 1:
 * `m ← β1·m + (1−β1)·u`, `v ← β2·v + (1−β2)·u²`, (AMSGrad: `v̂max ← max(v̂max, v)` and use it for v),
 * output `(m / (1−β1ᵗ)) / (√v / √(1−β2ᵗ) + ε)` — ε added after the bias correction, as PyTorch does.
 * Without bias correction the output is `m / (√v + ε)`. The bias corrections use the current β1, so a scheduled β1 behaves as PyTorch's cycled betas.
 */
export function scaleByAdam(
  options?: ScaleByAdamOptions & { stateDtype?: "float32" },
): GradientTransformation<ScaleByAdamState>;
export function scaleByAdam(
  options: ScaleByAdamOptions,
): GradientTransformation<ScaleByAdamState<MomentBuffer>>;
export function scaleByAdam(
  options: ScaleByAdamOptions = {},
): GradientTransformation<ScaleByAdamState<MomentBuffer>> {
  const owner = ownerOption(options, "scaleByAdam");
  checkOptions(owner, options, [
    "betas",
    "eps",
    "amsgrad",
    "biasCorrection",
    "stateDtype",
    "stateSeed",
    "owner",
  ]);
  const compact = compactOptions(owner, options);
  const dtype = compact.dtype;
  const stores = { m: compact.store("signed"), v: compact.store("square") };
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
      ...(dtype ? { stateDtype: dtype } : {}),
    }),
    init(params) {
      const fresh = (store: MomentStore) => (dtype ? momentsLike(store, params) : buffersLike(params));
      const s: ScaleByAdamState<MomentBuffer> = {
        count: 0,
        expAvg: fresh(stores.m),
        expAvgSq: fresh(stores.v),
      };
      if (amsgrad) s.maxExpAvgSq = fresh(stores.v);
      return s;
    },
    // compact buffers as float32 copies: what the moments hold, not where
    buffers: (state) => ({
      expAvg: decodedView(stores.m, state.expAvg),
      expAvgSq: decodedView(stores.v, state.expAvgSq),
      ...(state.maxExpAvgSq ? { maxExpAvgSq: decodedView(stores.v, state.maxExpAvgSq) } : {}),
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, sized(state.expAvg));
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      const t = state.count + 1;
      const bc1 = correct ? 1 - beta1 ** t : 1;
      const bc2Sqrt = correct ? Math.sqrt(1 - b2 ** t) : 1;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        if (!isFloatArray(state.expAvg[i])) {
          compactStep(i, u, state, beta1, t, bc1, bc2Sqrt);
          continue;
        }
        const m = state.expAvg[i] as FloatArray;
        const v = state.expAvgSq[i] as FloatArray;
        const vmax = amsgrad ? (state.maxExpAvgSq![i] as FloatArray) : v;
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

  /** One leaf's step on compact moments, block by block (the same math, on decoded blocks). */
  function compactStep(
    i: number,
    u: FloatArray,
    state: ScaleByAdamState<MomentBuffer>,
    beta1: number,
    t: number,
    bc1: number,
    bc2Sqrt: number,
  ) {
    const buffers = [state.expAvg[i]!, state.expAvgSq[i]!, ...(amsgrad ? [state.maxExpAvgSq![i]!] : [])];
    const used = amsgrad ? [stores.m, stores.v, stores.v] : [stores.m, stores.v];
    blockwise(
      used,
      buffers,
      { seed: compact.seed, step: t, leaf: i },
      u.length,
      (start, [ms, vs, xs]) => {
        for (let j = 0; j < ms!.length; j++) {
          const g = u[start + j]!;
          ms![j] = beta1 * ms![j]! + (1 - beta1) * g;
          vs![j] = b2 * vs![j]! + (1 - b2) * g * g;
          if (amsgrad && vs![j]! > xs![j]!) xs![j] = vs![j]!;
        }
      },
      (start, [ms, vs, xs]) => {
        const den = amsgrad ? xs! : vs!;
        for (let j = 0; j < ms!.length; j++)
          u[start + j] = ms![j]! / bc1 / (Math.sqrt(den[j]!) / bc2Sqrt + eps);
      },
    );
  }
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
