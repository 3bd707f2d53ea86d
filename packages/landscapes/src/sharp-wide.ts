import { checkRange } from "./check.ts";
import type { Landscape } from "./landscape.ts";
import { newtonMinimum } from "./newton.ts";
import { wellsField } from "./wells.ts";

export interface SharpWideOptions {
  /** Width of the sharp basin (its curvature is ≈ 1.05/width²; default 0.15, curvature ≈ 47). */
  sharpWidth?: number;
  /** Width of the wide basin (curvature ≈ 1/width²; default 1). */
  wideWidth?: number;
}

const BOWL = 0.05;
const SHARP_DEPTH = 1.05;
const WIDE_DEPTH = 1;

/**
 * A sharp and a wide basin of about the same depth, on a gentle bowl:
 * f = ½·0.05·(x² + y²) − 1.05·exp(−|p − (−1.5, 0)|²/(2s²)) − exp(−|p − (1.5, 0)|²/(2w²)),
 * s = `sharpWidth`, w = `wideWidth`. The sharp basin is the deeper one, always: its well is 5% deeper,
 * the bowl is the same at both centres and the wide well's tail only deepens it further (by default
 * f ≈ −1.005 there against −0.946 in the wide basin). The start sits on the sharp basin's slope, so
 * GD with a learning rate below 2/curvature (≈ 0.04 by default) settles in the sharp minimum; above
 * it GD cannot settle there (measured from the default start: lr 0.05–0.1 bounces around it, lr 0.3
 * ends in the wide basin) — the "large steps find flat minima" story, with no claim about
 * generalization. Noise alone needs to be large (σ ≈ 10 at lr 0.01) to carry GD out.
 * The minima are found by Newton's method from the well centres when the landscape is built.
 */
export function sharpWide(options: SharpWideOptions = {}): Landscape {
  const s = checkRange("sharpWide", "sharpWidth", options.sharpWidth ?? 0.15, 0.02, 0.5);
  const w = checkRange("sharpWide", "wideWidth", options.wideWidth ?? 1, 0.5, 2);
  const field = wellsField(BOWL, [
    { center: [-1.5, 0], depth: SHARP_DEPTH, width: s },
    { center: [1.5, 0], depth: WIDE_DEPTH, width: w },
  ]);
  const sharp = newtonMinimum(field, [-1.5, 0]);
  const wide = newtonMinimum(field, [1.5, 0]);
  return {
    id: "sharp-wide",
    name: `Sharp vs wide (widths ${s} and ${w})`,
    description:
      "A narrow, slightly deeper basin and a wide one: small steps settle in the sharp minimum; steps " +
      "too large for its curvature cannot, and can end in the wide one.",
    bounds: [-3.5, 3.5, -2.5, 2.5],
    minima: [
      { point: sharp, value: field.value(sharp[0], sharp[1]), label: "sharp minimum (global)" },
      { point: wide, value: field.value(wide[0], wide[1]), label: "wide minimum" },
    ],
    start: [-1.5 + 1.5 * s, 1.5 * s],
    ...field,
  };
}
