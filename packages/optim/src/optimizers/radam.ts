import type { Hyper } from "../hyper.js";
import { scaleByRadam } from "../transforms/scale-by-radam.js";
import {
  type CommonOptions,
  commonOptions,
  type EitherDecayOptions,
  eitherDecay,
  type Optimizer,
} from "./common.js";

export interface RadamOptions extends CommonOptions, EitherDecayOptions {
  betas?: readonly [Hyper, number];
  eps?: number;
}

/** `torch.optim.RAdam`: RAdam's rectified preconditioner, L2 or decoupled decay. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export function radam(options: RadamOptions = {}): Optimizer {
  const owner = "radam";
  const c = commonOptions(owner, options, ["betas", "eps", "decoupledWeightDecay", "decayWith"], {
    lr: 1e-3,
    weightDecay: 0,
  });
  return eitherDecay(owner, c, scaleByRadam({ betas: options.betas, eps: options.eps, owner }), options);
}
