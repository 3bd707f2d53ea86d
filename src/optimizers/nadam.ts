import { checkBoolean, type Hyper } from "../hyper.ts";
import { scaleByNadam } from "../transforms/scale-by-nadam.ts";
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

export interface NadamOptions extends CommonOptions {
  betas?: readonly [Hyper, number];
  eps?: number;
  momentumDecay?: number;
  /** Decay as AdamW does (`p ← p − lr·λ·p`) instead of L2 in the gradient. */
  decoupledWeightDecay?: boolean;
  /** With decoupled decay: "lr" (default) or "multiplier" (see `adamw`). */
  decayWith?: DecayWith;
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
  const isDecoupled = checkBoolean(owner, "decoupledWeightDecay", options.decoupledWeightDecay ?? false);
  const pre = scaleByNadam({
    betas: options.betas,
    eps: options.eps,
    momentumDecay: options.momentumDecay,
    owner,
  });
  if (isDecoupled) return decoupledAlias(owner, c, [pre], options.decayWith);
  if (options.decayWith !== undefined) {
    throw new RangeError(`${owner}: decayWith applies to decoupled decay; set decoupledWeightDecay: true`);
  }
  return alias(owner, c.lr, [...ascent(c.maximize), ...decay(owner, c.weightDecay, c.mask), pre]);
}
