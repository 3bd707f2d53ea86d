import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
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

/** Options of `scaleByRss`. */
export interface ScaleByRssOptions extends CompactStateOptions {
  /** Starting value of the sum of squares, ≥ 0. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator √s, ≥ 0. Default 1e-10. */
  eps?: number;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRss". */
  owner?: string;
}

/** State of `scaleByRss`, one buffer per leaf (`B`: their storage, see `stateDtype`). */
export interface ScaleByRssState<B extends MomentBuffer = FloatArray> {
  /** The sum s of squared updates so far. */
  sum: B[];
  /** Updates so far, with compact storage only (its rounding draws fresh bits at each). */
  count?: number;
}

/** Adagrad's preconditioner: `s ← s + u²`, output `u / (√s + ε)` (root of the sum of squares). */
export function scaleByRss(
  options?: ScaleByRssOptions & { stateDtype?: "float32" },
): GradientTransformation<ScaleByRssState>;
export function scaleByRss(options: ScaleByRssOptions): GradientTransformation<ScaleByRssState<MomentBuffer>>;
export function scaleByRss(
  options: ScaleByRssOptions = {},
): GradientTransformation<ScaleByRssState<MomentBuffer>> {
  const owner = ownerOption(options, "scaleByRss");
  checkOptions(owner, options, ["initialAccumulatorValue", "eps", "stateDtype", "stateSeed", "owner"]);
  const compact = compactOptions(owner, options);
  const store = compact.store("square");
  const init = checkNumber(
    owner,
    "initialAccumulatorValue",
    options.initialAccumulatorValue ?? 0,
    "[0, inf)",
  );
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-10, "[0, inf)");
  return {
    config: () => ({
      initialAccumulatorValue: init,
      eps,
      ...(compact.dtype ? { stateDtype: compact.dtype } : {}),
    }),
    init: (params) =>
      compact.dtype
        ? { sum: momentsLike(store, params, init), count: 0 }
        : { sum: buffersLike(params, init) },
    buffers: (state) => ({ sum: decodedView(store, state.sum) }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, sized(state.sum));
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const s = state.sum[i]!;
        if (!isFloatArray(s)) {
          blockwise(
            [store],
            [s],
            { seed: compact.seed, step: (state.count ?? 0) + 1, leaf: i },
            u.length,
            (start, [ss]) => {
              for (let j = 0; j < ss!.length; j++) ss![j]! += u[start + j]! ** 2;
            },
            (start, [ss]) => {
              for (let j = 0; j < ss!.length; j++) u[start + j] = u[start + j]! / (Math.sqrt(ss![j]!) + eps);
            },
          );
          continue;
        }
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          s[j]! += g * g;
          u[j] = g / (Math.sqrt(s[j]!) + eps);
        }
      }
      if (state.count !== undefined) state.count += 1;
      return updates;
    },
  };
}
