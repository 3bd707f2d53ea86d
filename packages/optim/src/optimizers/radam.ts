import type { Hyper } from "../hyper.js";
import { checkBetas } from "../transforms/scale-by-adam.js";
import { scaleByRadam } from "../transforms/scale-by-radam.js";
import {
  type CommonOptions,
  commonOptions,
  type EitherDecayOptions,
  eitherDecay,
  type Optimizer,
} from "./common.js";
import { describe, eitherDecays } from "./fusion.js";

/** Options of `radam`: `torch.optim.RAdam`'s. */
export interface RadamOptions extends CommonOptions, EitherDecayOptions {
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas?: readonly [Hyper, number];
  /** Added to √v (before the bias correction, as PyTorch does) for numerical stability, ≥ 0. Default 1e-8. */
  eps?: number;
}

/** `torch.optim.RAdam`: RAdam's rectified preconditioner, L2 or decoupled decay. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export function radam(options: RadamOptions = {}): Optimizer {
  const owner = "radam";
  const c = commonOptions(owner, options, ["betas", "eps", "decoupledWeightDecay", "decayWith"], {
    lr: 1e-3,
    weightDecay: 0,
  });
  const tx = eitherDecay(owner, c, scaleByRadam({ betas: options.betas, eps: options.eps, owner }), options);
  const decays = eitherDecays(c.weightDecay, options);
  if (!decays) return tx;
  const [beta1, beta2] = checkBetas(owner, options.betas);
  return describe(tx, { kind: "radam", owner, ...c, beta1, beta2, eps: options.eps ?? 1e-8, ...decays });
}
