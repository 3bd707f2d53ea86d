import { checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
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
import { checkBetas } from "./scale-by-adam.js";

/** Options of `scaleByLion`. */
export interface ScaleByLionOptions extends CompactStateOptions {
  /** β1 (interpolation for the sign; may follow a schedule) and β2 (the momentum's decay), each in [0, 1). Default [0.9, 0.99]. */
  betas?: readonly [Hyper, number];
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByLion". */
  owner?: string;
}

/** State of `scaleByLion` (`B`: the buffers' storage, see `stateDtype`). */
export interface ScaleByLionState<B extends MomentBuffer = FloatArray> {
  /** Updates applied so far. */
  count: number;
  /** The momentum m. */
  expAvg: B[];
}

/**
 * Lion's direction (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Program 1):
 * `c ← β1·m + (1−β1)·u`, output `sign(c)`, then `m ← β2·m + (1−β2)·u`.
 * Every output entry is +1, −1 or (where c is exactly 0) 0; the momentum is updated after the sign
 * is taken, with β2, so the step interpolates with a different β than the memory keeps.
 */
export function scaleByLion(
  options?: ScaleByLionOptions & { stateDtype?: "float32" },
): GradientTransformation<ScaleByLionState>;
export function scaleByLion(
  options: ScaleByLionOptions,
): GradientTransformation<ScaleByLionState<MomentBuffer>>;
export function scaleByLion(
  options: ScaleByLionOptions = {},
): GradientTransformation<ScaleByLionState<MomentBuffer>> {
  const owner = ownerOption(options, "scaleByLion");
  checkOptions(owner, options, ["betas", "stateDtype", "stateSeed", "owner"]);
  const [b1, b2] = options.betas === undefined ? [0.9, 0.99] : checkBetas(owner, options.betas);
  const compact = compactOptions(owner, options);
  const store = compact.store("signed");
  return {
    config: (state) => ({
      "betas[0]": hyperAt(b1, state.count),
      "betas[1]": b2,
      ...(compact.dtype ? { stateDtype: compact.dtype } : {}),
    }),
    init: (params) => ({
      count: 0,
      expAvg: compact.dtype ? momentsLike(store, params) : buffersLike(params),
    }),
    buffers: (state) => ({ expAvg: decodedView(store, state.expAvg) }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, sized(state.expAvg));
      const beta1 = valueAt(owner, "betas[0]", b1, state.count, "[0, 1)");
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const m = state.expAvg[i]!;
        if (!isFloatArray(m)) {
          blockwise(
            [store],
            [m],
            { seed: compact.seed, step: state.count + 1, leaf: i },
            u.length,
            (start, [ms]) => {
              for (let j = 0; j < ms!.length; j++) {
                const g = u[start + j]!;
                u[start + j] = Math.sign(beta1 * ms![j]! + (1 - beta1) * g);
                ms![j] = b2 * ms![j]! + (1 - b2) * g;
              }
            },
          );
          continue;
        }
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          const c = beta1 * m[j]! + (1 - beta1) * g;
          m[j] = b2 * m[j]! + (1 - b2) * g;
          u[j] = Math.sign(c);
        }
      }
      state.count += 1;
      return updates;
    },
  };
}
