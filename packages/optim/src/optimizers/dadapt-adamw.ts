import { chain } from "../transform.js";
import { scaleByDadaptAdamw } from "../transforms/scale-by-dadapt-adamw.js";
import { ascent, common, type Optimizer } from "./common.js";
import { declareOptimizer, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(1, 0),
  /** (β1, β2) of the underlying Adam, each in [0, 1). Default [0.9, 0.999]. */
  betas: tuple<readonly [number, number]>("a pair [beta1, beta2]", [
    num(0.9, "[0, 1)"),
    num(0.999, "[0, 1)"),
  ]),
  /** Added to √v, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Initial (under-)estimate D₀ of the distance to the solution, > 0. Default 1e-6. */
  d0: num(1e-6, "(0, inf)"),
};

/** Options of `dadaptAdamw`: Optax's `contrib.dadapt_adamw`'s, named as the authors' PyTorch `DAdaptAdam`. */
export type DadaptAdamwOptions = OptionsOf<typeof options>;

/**
 * D-Adaptation AdamW (Defazio & Mishchenko 2023, "Learning-Rate-Free Learning by D-Adaptation",
 * ICML; the authors' facebookresearch/dadaptation `DAdaptAdam`; Optax's `contrib.dadapt_adamw`):
 * `[±] → scaleByDadaptAdamw` — Adam whose step size D is estimated from the gradients, so `lr` is
 * a multiplier (leave it 1, or give a schedule that peaks at 1). Weight decay is decoupled and
 * scaled by the step, −lr·D·λ·p. Numerics are Optax's.
 * Defaults: lr 1, betas [0.9, 0.999], eps 1e-8, d0 1e-6, weightDecay 0.
 */
export const dadaptAdamw = declareOptimizer({
  name: "dadaptAdamw",
  title: "D-Adapt AdamW",
  decay: "decoupled",
  reference: { optax: "optax.contrib.dadapt_adamw", code: "facebookresearch/dadaptation" },
  options,
  build: (o) =>
    // one transform: the D estimate needs the lr, so no `scaleByLearningRate` closes the chain
    chain(
      ...ascent(o.maximize),
      scaleByDadaptAdamw({
        lr: o.lr,
        betas: o.betas,
        eps: o.eps,
        d0: o.d0,
        weightDecay: o.weightDecay,
        mask: o.mask,
        owner: "dadaptAdamw",
      }),
    ) as Optimizer,
});
