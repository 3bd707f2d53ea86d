import { checkBoolean, type Hyper } from "../hyper.ts";
import { scaleByRadam } from "../transforms/scale-by-radam.ts";
import {
  alias,
  ascent,
  type CommonOptions,
  commonOptions,
  type DecayWith,
  decay,
  decoupled as decoupledAlias,
  type Optimizer,
} from "./common.ts";

export interface RadamOptions extends CommonOptions {
  betas?: readonly [Hyper, number];
  eps?: number;
  /** Decay as AdamW does (`p ← p − lr·λ·p`) instead of L2 in the gradient. */
  decoupledWeightDecay?: boolean;
  /** With decoupled decay: "lr" (default) or "multiplier" (see `adamw`). */
  decayWith?: DecayWith;
}

/** `torch.optim.RAdam`: RAdam's rectified preconditioner, L2 or decoupled decay. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export function radam(options: RadamOptions = {}): Optimizer {
  const owner = "radam";
  const c = commonOptions(owner, options, ["betas", "eps", "decoupledWeightDecay", "decayWith"], {
    lr: 1e-3,
    weightDecay: 0,
  });
  const isDecoupled = checkBoolean(owner, "decoupledWeightDecay", options.decoupledWeightDecay ?? false);
  const pre = scaleByRadam({ betas: options.betas, eps: options.eps, owner });
  if (isDecoupled) return decoupledAlias(owner, c, [pre], options.decayWith);
  if (options.decayWith !== undefined) {
    throw new RangeError(`${owner}: decayWith applies to decoupled decay; set decoupledWeightDecay: true`);
  }
  return alias(owner, c.lr, [...ascent(c.maximize), ...decay(owner, c.weightDecay, c.mask), pre]);
}
