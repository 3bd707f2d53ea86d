import { chain } from "../transform.js";
import { scaleByProdigy } from "../transforms/scale-by-prodigy.js";
import { ascent, common, type Optimizer } from "./common.js";
import { bool, declareOptimizer, nullable, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(1, 0),
  /** (β1, β2) of the underlying Adam, each in [0, 1). Default [0.9, 0.999]. */
  betas: tuple<readonly [number, number]>("a pair [beta1, beta2]", [
    num(0.9, "[0, 1)"),
    num(0.999, "[0, 1)"),
  ]),
  /** Decay of the D estimate's running sums, in [0, 1); null: √β2. Default null. */
  beta3: nullable(num(0.999, "[0, 1)")),
  /** Added to √v, scaled by the current D, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  /** Initial (under-)estimate D₀ of the distance to the solution, > 0. Default 1e-6. */
  d0: num(1e-6, "(0, inf)"),
  /** Multiplier of every new D estimate, > 0 (below 1 is more cautious). Default 1. */
  dCoef: num(1, "(0, inf)"),
  /** Leave lr out of the D estimate's sum of gradients, for warmup schedules. Default false. */
  safeguardWarmup: bool(false),
};

/** Options of `prodigy`: Optax's `contrib.prodigy`'s, named as the authors' PyTorch `Prodigy`. */
export type ProdigyOptions = OptionsOf<typeof options>;

/**
 * Prodigy (Mishchenko & Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * ICML; the authors' konstmish/prodigy; Optax's `contrib.prodigy`): `[±] → scaleByProdigy` — Adam
 * whose step size D estimates the distance from the start to the solution, so `lr` is a multiplier
 * (leave it 1, or give a schedule that peaks at 1, e.g. cosine decay with warmup). Weight decay is
 * decoupled and scaled by the step, −lr·D·λ·p. Numerics are Optax's (bias correction always on;
 * the authors' PyTorch turns it off by default).
 * Defaults: lr 1, betas [0.9, 0.999], beta3 √β2, eps 1e-8, d0 1e-6, dCoef 1, weightDecay 0.
 */
export const prodigy = declareOptimizer({
  name: "prodigy",
  title: "Prodigy",
  decay: "decoupled",
  reference: { optax: "optax.contrib.prodigy", code: "konstmish/prodigy" },
  options,
  build: (o) =>
    // one transform: the D estimate needs the lr, so no `scaleByLearningRate` closes the chain
    chain(
      ...ascent(o.maximize),
      scaleByProdigy({
        lr: o.lr,
        betas: o.betas,
        ...(o.beta3 === null ? {} : { beta3: o.beta3 }),
        eps: o.eps,
        d0: o.d0,
        dCoef: o.dCoef,
        weightDecay: o.weightDecay,
        mask: o.mask,
        safeguardWarmup: o.safeguardWarmup,
        owner: "prodigy",
      }),
    ) as Optimizer,
});
