import type { Hyper } from "../hyper.js";
import { checkBetas } from "../transforms/scale-by-adam.js";
import { scaleByNadam } from "../transforms/scale-by-nadam.js";
import {
  type CommonOptions,
  commonOptions,
  type EitherDecayOptions,
  eitherDecay,
  type Optimizer,
} from "./common.js";
import { describe, eitherDecays } from "./fusion.js";

/** Options of `nadam`: `torch.optim.NAdam`'s. */
export interface NadamOptions extends CommonOptions, EitherDecayOptions {
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to the denominator for numerical stability, ≥ 0. Default 1e-8. */
  eps?: number;
  /** ψ of the momentum schedule `μ_t = β1·(1 − ½·0.96^(t·ψ))`, ≥ 0. Default 4e-3. */
  momentumDecay?: number;
}

/**
 * `torch.optim.NAdam`: NAdam's preconditioner with L2 decay in the gradient, or decoupled decay
 * after it (NAdamW). Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, momentumDecay 4e-3.
 */
export function nadam(options: NadamOptions = {}): Optimizer {
  const owner = "nadam";
  const c = commonOptions(
    owner,
    options,
    ["betas", "eps", "momentumDecay", "decoupledWeightDecay", "decayWith"],
    {
      lr: 2e-3,
      weightDecay: 0,
    },
  );
  const { betas, eps, momentumDecay } = options;
  const tx = eitherDecay(owner, c, scaleByNadam({ betas, eps, momentumDecay, owner }), options);
  const decays = eitherDecays(c.weightDecay, options);
  if (!decays) return tx;
  const [beta1, beta2] = checkBetas(owner, betas);
  return describe(tx, {
    kind: "nadam",
    owner,
    ...c,
    beta1,
    beta2,
    eps: eps ?? 1e-8,
    momentumDecay: momentumDecay ?? 4e-3,
    ...decays,
  });
}
