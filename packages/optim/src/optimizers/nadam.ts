import type { Hyper } from "../hyper.js";
import { scaleByNadam } from "../transforms/scale-by-nadam.js";
import {
  type CommonOptions,
  commonOptions,
  type EitherDecayOptions,
  eitherDecay,
  type Optimizer,
} from "./common.js";

export interface NadamOptions extends CommonOptions, EitherDecayOptions {
  betas?: readonly [Hyper, number];
  eps?: number;
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
  return eitherDecay(owner, c, scaleByNadam({ betas, eps, momentumDecay, owner }), options);
}
