import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";
import { pNorm } from "./norms.js";

/**
 * Adafactor's update clipping, each leaf on its own: `u ← u / max(1, RMS(u)/d)` with
 * `RMS(u) = ‖u‖/√n`, so no leaf leaves with an RMS above `d` (Shazeer & Stern 2018, §6;
 * PyTorch's `Adafactor(d=…)`; Optax's `clip_by_block_rms`).
 */
export function clipByBlockRms(
  threshold: number,
  options: {
    /** Name used in error messages (adafactor passes its own). Default "clipByBlockRms". */
    owner?: string;
  } = {},
): GradientTransformation<null> {
  const owner = ownerOption(options, "clipByBlockRms");
  checkOptions(owner, options, ["owner"]);
  // adafactor's d, when adafactor (which passes its owner) built it
  const d = checkNumber(owner, options.owner === undefined ? "threshold" : "d", threshold, "(0, inf)");
  return {
    init: () => null,
    update(updates: Tree) {
      for (const u of leavesOf(updates)) {
        if (u.length === 0) continue;
        const denom = Math.max(1, pNorm(u, 2) / (Math.sqrt(u.length) * d));
        if (denom !== 1) for (let j = 0; j < u.length; j++) u[j]! /= denom;
      }
      return updates;
    },
  };
}
