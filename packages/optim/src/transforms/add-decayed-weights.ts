import { checkHyper, checkMask, checkOptions, type Hyper, hyperAt, ownerOption, valueAt } from "../hyper.js";
import { type GradientTransformation, paramLeaves } from "../transform.js";
import { leavesOf, type Mask, resolveMask, type Tree } from "../tree.js";
import type { CountState } from "./scale-by-learning-rate.js";

/** Options of `addDecayedWeights`. */
export interface DecayOptions {
  /** Which leaves decay (default: all). */
  mask?: Mask;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "addDecayedWeights". */
  owner?: string;
}

/**
 * `u ← u + λ_t · p` on the masked leaves.
 *
 * One piece of math, two meanings decided by its place in a chain: before a preconditioner it is L2
 * regularization (the decay enters the gradient, and so Adam's moments); after the preconditioner
 * and before the learning rate it is decoupled weight decay, `p ← p − lr·λ·p` (AdamW, SGDW).
 */
export function addDecayedWeights(
  weightDecay: Hyper,
  options: DecayOptions = {},
): GradientTransformation<CountState | null> {
  const owner = ownerOption(options, "addDecayedWeights");
  checkOptions(owner, options, ["mask", "owner"]);
  checkHyper(owner, "weightDecay", weightDecay, "[0, inf)");
  const { mask } = options;
  checkMask(owner, "mask", mask);
  return {
    config: (state) => ({ weightDecay: hyperAt(weightDecay, state?.count ?? 0) }),
    init: () => (typeof weightDecay === "number" ? null : { count: 0 }),
    update(updates: Tree, state, params) {
      const count = state?.count ?? 0;
      const wd = valueAt(owner, "weightDecay", weightDecay, count, "[0, inf)");
      const us = leavesOf(updates);
      const ps = paramLeaves(owner, params, us.length);
      const on = maskFor(owner, mask, params!);
      if (wd !== 0) {
        for (let i = 0; i < us.length; i++) {
          if (!on[i]) continue;
          const u = us[i]!;
          const p = ps[i]!;
          for (let j = 0; j < u.length; j++) u[j]! += wd * p[j]!;
        }
      }
      if (state) state.count = count + 1;
      return updates;
    },
  };
}

/** `resolveMask`, its errors naming the transform ("adamw: mask function returned…"). Internal. */
export function maskFor(owner: string, mask: Mask | undefined, params: Tree): boolean[] {
  try {
    return resolveMask(mask, params);
  } catch (e) {
    if (e instanceof TypeError && !e.message.startsWith(`${owner}:`))
      throw new TypeError(`${owner}: ${e.message}`);
    throw e;
  }
}
