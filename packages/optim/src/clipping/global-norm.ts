import { checkOptions } from "../hyper.js";
import { leavesOf, type Tree } from "../tree.js";
import { checkNormType, leavesNorm } from "./norms.js";

/** Options of `globalNorm`. */
export interface GlobalNormOptions {
  /** Throw when the norm is NaN or infinite (PyTorch's `error_if_nonfinite`). Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * The p-norm of a whole tree, `torch.nn.utils.get_total_norm`: the p-norm of the per-leaf p-norms
 * (`normType` 2 by default, `Infinity` for the largest magnitude, any p > 0), in float64 — the norm
 * `clipByGlobalNorm` clips by, for logging or for a clipping rule of your own. NaN propagates.
 */
export function globalNorm(tree: Tree, normType = 2, options: GlobalNormOptions = {}): number {
  const owner = "globalNorm";
  const p = checkNormType(owner, normType);
  const o = checkOptions(owner, options, ["errorIfNonfinite"]);
  if (o.errorIfNonfinite !== undefined && typeof o.errorIfNonfinite !== "boolean")
    throw new TypeError(`${owner}: errorIfNonfinite must be true or false`);
  const norm = leavesNorm(leavesOf(tree), p);
  if (o.errorIfNonfinite && !Number.isFinite(norm))
    throw new RangeError(`${owner}: the total norm of order ${p} is ${norm}`);
  return norm;
}
