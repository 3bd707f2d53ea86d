import { checkNumber, checkOptions } from "../hyper.js";
import type { AnyTransformation, GradientTransformation } from "../transform.js";
import { flatten, leafData, showPath, type Tree } from "../tree.js";
import type { WrapperFusion } from "./fusion.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** State of `skipNonFinite`: its counts, beside the wrapped state. */
export interface SkipState<S = unknown> extends Wrapped<S> {
  /** Updates skipped so far. */
  skipped: number;
  /** Non-finite updates in a row, up to now. */
  consecutive: number;
}

/**
 * Skips an update whose gradient holds a NaN or an infinity: params and the wrapped state stay
 * untouched (zero updates are returned) and the skip is counted. More than `maxConsecutive` in a row
 * throws, naming the first bad path — training has diverged and skipping would hide it.
 * Default maxConsecutive: 10.
 */
export function skipNonFinite<S>(
  tx: GradientTransformation<S>,
  options: {
    /** Non-finite updates in a row tolerated before throwing, ≥ 0 (Infinity: never throw). Default 10. */
    maxConsecutive?: number;
  } = {},
): GradientTransformation<SkipState<S>> {
  const owner = "skipNonFinite";
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  checkOptions(owner, options, ["maxConsecutive"]);
  const max = checkNumber(owner, "maxConsecutive", options.maxConsecutive ?? 10, "[0, inf]");
  const fusion: WrapperFusion = { kind: "skip-non-finite", owner, maxConsecutive: max, inner: () => inner };
  return {
    ...innerHyperparams(inner as AnyTransformation),
    fusion,
    init: (params) => ({ skipped: 0, consecutive: 0, inner: inner.init(params) }),
    update(updates: Tree, state, params) {
      const { paths, leaves } = flatten(updates);
      let bad = -1;
      for (let i = 0; i < leaves.length && bad < 0; i++) {
        const u = leafData(leaves[i]!);
        for (let j = 0; j < u.length; j++) {
          if (!Number.isFinite(u[j]!)) {
            bad = i;
            break;
          }
        }
      }
      if (bad < 0) {
        state.consecutive = 0;
        return inner.update(updates, state.inner, params);
      }
      if (state.consecutive + 1 > max) {
        throw new RangeError(
          `${owner}: ${state.consecutive + 1} non-finite gradients in a row (maxConsecutive ${max}); first at ${showPath(paths[bad]!)}`,
        );
      }
      state.consecutive += 1;
      state.skipped += 1;
      for (const l of leaves) leafData(l).fill(0);
      return updates;
    },
  };
}
