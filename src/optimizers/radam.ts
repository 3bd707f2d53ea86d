import { checkBoolean, type Hyper } from "../hyper.ts";
import { scaleByRadam } from "../transforms/scale-by-radam.ts";
import { alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.ts";

export interface RadamOptions extends CommonOptions {
  betas?: readonly [Hyper, number];
  eps?: number;
  /** Decay as AdamW does (`p ← p − lr·λ·p`) instead of L2 in the gradient. */
  decoupledWeightDecay?: boolean;
}

/** `torch.optim.RAdam`: RAdam's rectified preconditioner, L2 or decoupled decay. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export function radam(options: RadamOptions = {}): Optimizer {
  const owner = "radam";
  const c = commonOptions(owner, options, ["betas", "eps", "decoupledWeightDecay"], {
    lr: 1e-3,
    weightDecay: 0,
  });
  const decoupled = checkBoolean(owner, "decoupledWeightDecay", options.decoupledWeightDecay ?? false);
  const wd = decay(owner, c.weightDecay, c.mask);
  const pre = scaleByRadam({ betas: options.betas, eps: options.eps, owner });
  return alias(owner, c.lr, [...ascent(c.maximize), ...(decoupled ? [pre, ...wd] : [...wd, pre])]);
}
