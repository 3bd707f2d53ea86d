import { checkBoolean, checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import { type FloatArray, isFloatArray, type Tree } from "../tree.js";
import {
  blockwise,
  type CompactStateOptions,
  compactOptions,
  decodedView,
  type MomentBuffer,
  momentsLike,
  sized,
} from "./compact-state.js";

/** Options of `scaleByRms`. */
export interface ScaleByRmsOptions extends CompactStateOptions {
  /** Smoothing constant α of the running averages, in [0, 1]. Default 0.99. */
  alpha?: number;
  /** Added to the denominator √s, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Divide by the estimated standard deviation √(s − a²) instead of the RMS. Default false. */
  centered?: boolean;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRms". */
  owner?: string;
}

/** State of `scaleByRms`, one buffer per leaf (`B`: their storage, see `stateDtype`). */
export interface ScaleByRmsState<B extends MomentBuffer = FloatArray> {
  /** The running average s of squared updates. */
  squareAvg: B[];
  /** Only when centered. */
  gradAvg?: B[];
  /** Updates so far, with compact storage only (its rounding draws fresh bits at each). */
  count?: number;
}

/**
 * RMSprop's preconditioner: `s ← α·s + (1−α)·u²`; centered also tracks `a ← α·a + (1−α)·u` and uses
 * the variance `s − a²`; output `u / (√s + ε)`. No bias correction — the one thing that separates
 * it from Adam with β1 = 0 (whose update is `u / (√(s/(1−αᵗ)) + ε)`).
 */
export function scaleByRms(
  options?: ScaleByRmsOptions & { stateDtype?: "float32" },
): GradientTransformation<ScaleByRmsState>;
export function scaleByRms(options: ScaleByRmsOptions): GradientTransformation<ScaleByRmsState<MomentBuffer>>;
export function scaleByRms(
  options: ScaleByRmsOptions = {},
): GradientTransformation<ScaleByRmsState<MomentBuffer>> {
  const owner = ownerOption(options, "scaleByRms");
  checkOptions(owner, options, ["alpha", "eps", "centered", "stateDtype", "stateSeed", "owner"]);
  const alpha = checkNumber(owner, "alpha", options.alpha ?? 0.99, "[0, 1]");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const centered = checkBoolean(owner, "centered", options.centered ?? false);
  const compact = compactOptions(owner, options);
  if (centered && compact.dtype === "int8")
    throw new RangeError(
      `${owner}: centered with stateDtype "int8" is not supported: s − a², with s and a each stored in 8 bits, cancels where the gradient is steady (measured: 1e59× float state's loss); use "bfloat16"`,
    );
  const stores = { s: compact.store("square"), a: compact.store("signed") };
  return {
    config: () => ({ alpha, eps, centered, ...(compact.dtype ? { stateDtype: compact.dtype } : {}) }),
    init(params) {
      const fresh = (kind: "s" | "a") =>
        compact.dtype ? momentsLike(stores[kind], params) : buffersLike(params);
      const s: ScaleByRmsState<MomentBuffer> = { squareAvg: fresh("s") };
      if (centered) s.gradAvg = fresh("a");
      if (compact.dtype) s.count = 0;
      return s;
    },
    buffers: (state) => ({
      squareAvg: decodedView(stores.s, state.squareAvg),
      ...(state.gradAvg ? { gradAvg: decodedView(stores.a, state.gradAvg) } : {}),
    }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, sized(state.squareAvg));
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        if (!isFloatArray(state.squareAvg[i])) {
          const buffers = [state.squareAvg[i]!, ...(centered ? [state.gradAvg![i]!] : [])];
          blockwise(
            centered ? [stores.s, stores.a] : [stores.s],
            buffers,
            { seed: compact.seed, step: (state.count ?? 0) + 1, leaf: i },
            u.length,
            (start, [ss, as]) => {
              for (let j = 0; j < ss!.length; j++) {
                const g = u[start + j]!;
                ss![j] = alpha * ss![j]! + (1 - alpha) * g * g;
                if (as) as[j] = alpha * as[j]! + (1 - alpha) * g;
              }
            },
            (start, [ss, as]) => {
              for (let j = 0; j < ss!.length; j++) {
                // stored apart, s and a can round to s < a²: the variance is then 0, not NaN
                const variance = as ? Math.max(ss![j]! - as[j]! * as[j]!, 0) : ss![j]!;
                u[start + j] = u[start + j]! / (Math.sqrt(variance) + eps);
              }
            },
          );
          continue;
        }
        const s = state.squareAvg[i] as FloatArray;
        const a = centered ? (state.gradAvg![i] as FloatArray) : undefined;
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          s[j] = alpha * s[j]! + (1 - alpha) * g * g;
          let variance = s[j]!;
          if (a) {
            a[j] = alpha * a[j]! + (1 - alpha) * g;
            variance -= a[j]! * a[j]!;
          }
          u[j] = g / (Math.sqrt(variance) + eps);
        }
      }
      if (state.count !== undefined) state.count += 1;
      return updates;
    },
  };
}
