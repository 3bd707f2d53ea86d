import { scaleByAdopt } from "../transforms/scale-by-adopt.js";
import { common, decoupled } from "./common.js";
import { betas, bool, declareOptimizer, num, type OptionsOf } from "./declaration.js";

const options = {
  ...common(1e-3, 0),
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.9999]. */
  betas: betas(0.9, 0.9999),
  /** Floor on √v the gradient is divided by, ≥ 0. Default 1e-6. */
  eps: num(1e-6, "[0, inf)"),
  /** Use the Nesterov form of the first moment. Default false. */
  nesterov: bool(false),
  /** Clip the normalized gradient to ±t^¼ (the authors' stabilizer for the first updates). Default true. */
  useClipping: bool(true),
};

/** Options of `adopt`: Optax's `contrib.adopt`'s. */
export type AdoptOptions = OptionsOf<typeof options>;

/**
 * ADOPT (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β2 with the Optimal
 * Rate", NeurIPS; Optax's `contrib.adopt`, the authors' iShohei220/adopt): `[±] → scaleByAdopt → +λp
 * → −lr`. The gradient is normalized by the second moment of the *previous* gradients and the
 * momentum is taken after normalizing, which removes the correlation that makes Adam diverge for
 * some β2. The first update only measures (v ← g², no step). Weight decay, when given, is decoupled.
 * Defaults: lr 1e-3, betas [0.9, 0.9999], eps 1e-6, useClipping true.
 */
export const adopt = declareOptimizer({
  name: "adopt",
  title: "ADOPT",
  decay: "decoupled",
  reference: { optax: "optax.contrib.adopt", code: "iShohei220/adopt" },
  options,
  build: (o) =>
    decoupled("adopt", o, [
      scaleByAdopt({
        betas: o.betas,
        eps: o.eps,
        nesterov: o.nesterov,
        useClipping: o.useClipping,
        owner: "adopt",
      }),
    ]),
});
