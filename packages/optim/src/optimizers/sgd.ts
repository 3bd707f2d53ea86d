import { checkBoolean, checkHyper, checkNumber, type Hyper } from "../hyper.js";
import { trace } from "../transforms/trace.js";
import { active, alias, ascent, type CommonOptions, commonOptions, decay, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `sgd` (and of `sgdw`): `torch.optim.SGD`'s. */
export interface SgdOptions extends CommonOptions {
  /** Momentum factor μ in [0, 1] (a number or a schedule); 0 keeps no momentum buffer. Default 0. */
  momentum?: Hyper;
  /** Dampening of the momentum, in [0, 1] (the first step ignores it, as in PyTorch). Default 0. */
  dampening?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
}

/** The option names momentum adds to `CommonOptions`. */
export const SGD_OPTIONS = ["momentum", "dampening", "nesterov"] as const;

/** Checks momentum/dampening/nesterov as `torch.optim.SGD` does. */
export function momentumOptions(owner: string, o: SgdOptions) {
  const momentum = checkHyper(owner, "momentum", o.momentum ?? 0, "[0, 1]");
  const dampening = checkNumber(owner, "dampening", o.dampening ?? 0, "[0, 1]");
  const nesterov = checkBoolean(owner, "nesterov", o.nesterov ?? false);
  if (nesterov && (!active(momentum) || dampening !== 0)) {
    throw new RangeError(
      `${owner}: nesterov requires momentum > 0 and dampening = 0 (got momentum ${String(momentum)}, dampening ${dampening})`,
    );
  }
  const links = active(momentum) ? [trace({ momentum, dampening, nesterov, owner })] : [];
  return { links, momentum, dampening, nesterov };
}

/**
 * `torch.optim.SGD`: `g ← ±g + λp` (L2), heavy-ball or Nesterov momentum, `p ← p − lr·g`.
 * Defaults: lr 1e-3 (PyTorch ≥ 2.2), momentum 0, dampening 0, weightDecay 0.
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  const owner = "sgd";
  const c = commonOptions(owner, options, SGD_OPTIONS, { lr: 1e-3, weightDecay: 0 });
  const m = momentumOptions(owner, options);
  const tx = alias(owner, c.lr, [...ascent(c.maximize), ...decay(owner, c.weightDecay, c.mask), ...m.links]);
  return describe(tx, { kind: "sgd", owner, ...c, l2: c.weightDecay, decoupled: 0, ...m });
}
