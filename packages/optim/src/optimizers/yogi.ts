import { scaleByYogi } from "../transforms/scale-by-yogi.js";
import { common, decoupled } from "./common.js";
import { betas, declareOptimizer, num, type OptionsOf } from "./declaration.js";

const options = {
  ...common(1e-2, 0),
  /** (β1, β2), each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to the denominator √v̂, ≥ 0 (Yogi's is large on purpose). Default 1e-3. */
  eps: num(1e-3, "[0, inf)"),
  /** The value both moments start at, > 0. Default 1e-6. */
  initialAccumulatorValue: num(1e-6, "(0, inf)"),
};

/** Options of `yogi`: Optax's `yogi`'s, and decoupled weight decay. */
export type YogiOptions = OptionsOf<typeof options>;

/**
 * Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization", NeurIPS; Optax's `yogi`):
 * `[±] → scaleByYogi → +λp → −lr` — Adam whose second moment moves toward g² additively,
 * `v ← v − (1−β2)·sign(v − g²)·g²`, so a burst of large gradients cannot inflate it (and silence the
 * step) as fast as Adam's. Weight decay, when given, is decoupled. Defaults: lr 1e-2 (the paper's),
 * betas [0.9, 0.999], eps 1e-3, initialAccumulatorValue 1e-6.
 */
export const yogi = declareOptimizer({
  name: "yogi",
  title: "Yogi",
  decay: "decoupled",
  reference: { optax: "optax.yogi" },
  options,
  build: (o) =>
    decoupled("yogi", o, [
      scaleByYogi({
        betas: o.betas,
        eps: o.eps,
        initialAccumulatorValue: o.initialAccumulatorValue,
        owner: "yogi",
      }),
    ]),
});
