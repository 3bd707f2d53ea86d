import { checkNumber, checkOptions } from "../hyper.js";
import { type GradientTransformation, paramLeaves } from "../transform.js";
import { flatten, leafShape, leavesOf, type Tree } from "../tree.js";
import { pNorm } from "./norms.js";

/**
 * Unit-wise adaptive gradient clipping (AGC, Brock et al. 2021). A unit is a slice along the first
 * axis — an output row of a PyTorch `[out, in, …]` weight — and a 1-D leaf is one unit. For each unit
 * with parameter norm ‖W‖ and gradient norm ‖G‖: if ‖G‖ > clipping·max(‖W‖, eps), G is rescaled to
 * that bound. Shapes come from the params (`{ data, shape }` leaves); plain arrays count as 1-D.
 */
export function adaptiveGradClip(
  clipping: number,
  options: {
    /** Floor ε on the parameter norm in the bound, so zero-initialized units can still move; ≥ 0. Default 1e-3. */
    eps?: number;
  } = {},
): GradientTransformation<null> {
  const owner = "adaptiveGradClip";
  const c = checkNumber(owner, "clipping", clipping, "(0, inf)");
  checkOptions(owner, options, ["eps"]);
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-3, "[0, inf)");
  return {
    init: () => null,
    update(updates: Tree, _state, params) {
      const us = leavesOf(updates);
      const ps = paramLeaves(owner, params, us.length);
      const shapes = flatten(params!).leaves.map(leafShape);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const shape = shapes[i]!;
        const units = shape.length <= 1 ? 1 : shape[0]!;
        const size = units === 0 ? 0 : u.length / units;
        for (let k = 0; k < units; k++) {
          const from = k * size;
          const to = from + size;
          const bound = Math.max(pNorm(p, 2, from, to), eps) * c;
          const g = pNorm(u, 2, from, to);
          if (g > bound) {
            const scale = bound / Math.max(g, 1e-6);
            for (let j = from; j < to; j++) u[j]! *= scale;
          }
        }
      }
      return updates;
    },
  };
}
