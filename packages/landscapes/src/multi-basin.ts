import type { Landscape } from "./landscape.ts";
import { newtonMinimum } from "./newton.ts";
import { type Well, wellsField } from "./wells.ts";

const BOWL = 0.1;
/** The wells, the global one first; each makes exactly one minimum (checked by the tests). */
const WELLS: readonly (Well & { label: string })[] = [
  { center: [1.6, 1.1], depth: 1.6, width: 0.6, label: "global minimum" },
  { center: [-1.7, 1.3], depth: 1.1, width: 0.7, label: "upper-left local minimum" },
  { center: [1.7, -1.5], depth: 1.2, width: 0.9, label: "lower-right local minimum" },
  { center: [-1.2, -1.5], depth: 0.8, width: 0.5, label: "lower-left local minimum" },
  { center: [0.1, -0.1], depth: 0.35, width: 0.45, label: "shallow central minimum" },
];

const field = wellsField(BOWL, WELLS);
// Newton from each well's centre, once at module load: deterministic and exact to rounding.
const MINIMA = WELLS.map((w) => {
  const point = newtonMinimum(field, w.center);
  return { point, value: field.value(point[0], point[1]), label: w.label };
});

/**
 * Five Gaussian wells of different depths on a weak bowl, f = ½·0.1·(x² + y²) − Σ Dᵢ·exp(−|p − cᵢ|²/(2wᵢ²))
 * (the wells are listed in WELLS). One basin is clearly the best (f ≈ −1.44; the next is −0.96).
 * The start lies in the shallow central basin's catchment, so GD stops in a poor local minimum
 * (f ≈ −0.45) at any stable learning rate, while momentum can coast out — and need not find the
 * global basin: from the start, momentum 0.9 and Adam (both at lr 0.1) end in the lower-right one.
 */
export function multiBasin(): Landscape {
  return {
    id: "multi-basin",
    name: "Multi-basin",
    description:
      "Five basins of different depths, one clearly deepest: where an optimizer ends depends on " +
      "where it starts and how far it can coast, not only on how deep the basins are.",
    bounds: [-3.5, 3.5, -3.5, 3.5],
    minima: MINIMA,
    start: [-0.3, 0.35],
    ...field,
  };
}
