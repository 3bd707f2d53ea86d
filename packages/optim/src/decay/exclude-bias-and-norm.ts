import { type Leaf, leafShape } from "../tree.js";

/**
 * The usual "don't decay these" mask: false (no decay) for 1-D leaves — biases, norm scales and
 * shifts — and for any leaf whose path names a bias or a norm (`bias`, `LayerNorm`, `batch_normalization`…).
 * Pass it as `mask` to any decaying optimizer.
 */
export function excludeBiasAndNorm(path: string, leaf: Leaf): boolean {
  return leafShape(leaf).length > 1 && !/bias|norm/i.test(path);
}
