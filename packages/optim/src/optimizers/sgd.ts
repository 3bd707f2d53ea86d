import { trace } from "../transforms/trace.js";
import { active, alias, ascent, type Common, common, decay, stateStorage, storage } from "./common.js";
import { bool, declareOptimizer, num, type OptionsOf, type Resolved } from "./declaration.js";

/** SGD's options (and SGDW's): `torch.optim.SGD`'s. */
export function sgdOptions() {
  return {
    ...common(1e-3, 0),
    /** Momentum factor μ in [0, 1] (a number or a schedule); 0 keeps no momentum buffer. Default 0. */
    momentum: num(0, "[0, 1]", { schedulable: true }),
    /** Dampening of the momentum, in [0, 1] (the first step ignores it, as in PyTorch). Default 0. */
    dampening: num(0, "[0, 1]"),
    /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
    nesterov: bool(false),
    ...stateStorage(),
  };
}

/** Options of `sgd`: `torch.optim.SGD`'s. */
export type SgdOptions = OptionsOf<ReturnType<typeof sgdOptions>>;

/** The momentum link, after `torch.optim.SGD`'s rule: nesterov needs momentum > 0 and dampening 0. */
export function momentumLinks(owner: string, o: Resolved<ReturnType<typeof sgdOptions>>) {
  if (o.nesterov && (!active(o.momentum) || o.dampening !== 0)) {
    throw new RangeError(
      `${owner}: nesterov requires momentum > 0 and dampening = 0 (got momentum ${String(o.momentum)}, dampening ${o.dampening})`,
    );
  }
  return active(o.momentum)
    ? [trace({ momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, ...storage(o), owner })]
    : [];
}

/** What the fused kernels run for SGD's family, given where the decay goes. */
export function sgdFusion(
  owner: string,
  o: Common & Resolved<ReturnType<typeof sgdOptions>>,
  decays: { l2: Common["weightDecay"]; decoupled: Common["weightDecay"] },
) {
  return {
    kind: "sgd" as const,
    owner,
    lr: o.lr,
    maximize: o.maximize,
    mask: o.mask,
    momentum: o.momentum,
    dampening: o.dampening,
    nesterov: o.nesterov,
    ...decays,
  };
}

/**
 * `torch.optim.SGD`: `g ← ±g + λp` (L2), heavy-ball or Nesterov momentum, `p ← p − lr·g`.
 * Defaults: lr 1e-3 (PyTorch ≥ 2.2), momentum 0, dampening 0, weightDecay 0.
 */
export const sgd = declareOptimizer({
  name: "sgd",
  title: "SGD",
  decay: "l2",
  reference: { pytorch: "torch.optim.SGD", optax: "optax.sgd" },
  options: sgdOptions(),
  build: (o) =>
    alias("sgd", o.lr, [
      ...ascent(o.maximize),
      ...decay("sgd", o.weightDecay, o.mask),
      ...momentumLinks("sgd", o),
    ]),
  fusion: (o) => sgdFusion("sgd", o, { l2: o.weightDecay, decoupled: 0 }),
});
