/**
 * What an optimizer alias computes, in the form the fused kernels run in one pass: each
 * declaration's `fusion` maps its resolved options to it (a `0` decay means the link is absent).
 * The kernels are tested equal to the chain itself, which stays the definition.
 */
import type { Hyper } from "../hyper.js";
import type { StateDtype } from "../transforms/compact-state.js";
import type { Mask } from "../tree.js";

interface Common {
  /** The alias's name, for error messages. */
  owner: string;
  lr: Hyper;
  maximize: boolean;
  /** L2: added to the gradient before the preconditioner. */
  l2: Hyper;
  /** Decoupled decay: added after the preconditioner, scaled by lr. */
  decoupled: Hyper;
  mask: Mask | undefined;
  /**
   * Set when the alias stores its moments compactly (`stateDtype`): the fused kernels run the
   * storages their kind declares (bfloat16 for Adam/AdamW, SGD/SGDW's momentum, Lion and Adagrad) and leave
   * the others to the chain.
   */
  stateDtype?: StateDtype;
  /** The seed of the compact state's stochastic rounding (`stateSeed`), with `stateDtype`. */
  stateSeed?: number;
}

export type FusionSpec =
  | (Common & { kind: "adam"; beta1: Hyper; beta2: number; eps: number; amsgrad: boolean })
  | (Common & { kind: "sgd"; momentum: Hyper; dampening: number; nesterov: boolean })
  | (Common & { kind: "rmsprop"; alpha: number; eps: number; centered: boolean; momentum: Hyper })
  | (Common & { kind: "adagrad"; eps: number })
  | (Common & { kind: "lion"; beta1: Hyper; beta2: number })
  | (Common & { kind: "adamax"; beta1: Hyper; beta2: number; eps: number })
  | (Common & { kind: "nadam"; beta1: Hyper; beta2: number; eps: number; momentumDecay: number })
  | (Common & { kind: "radam"; beta1: Hyper; beta2: number; eps: number })
  | (Common & { kind: "adadelta"; rho: number; eps: number })
  | (Common & { kind: "lamb"; beta1: Hyper; beta2: number; eps: number; biasCorrection: boolean })
  | (Common & {
      kind: "scheduleFreeAdamw";
      beta1: Hyper;
      beta2: number;
      eps: number;
      warmupSteps: number;
      r: number;
      weightLrPower: number;
      decayAtZ: boolean;
    });

/**
 * The decays of an alias whose decay may be L2 or decoupled (`eitherDecay`): undefined when it is
 * decoupled with `decayWith: "multiplier"` (a chain the kernels do not fuse).
 */
export function eitherDecays(
  weightDecay: Hyper,
  options: { decoupledWeightDecay?: boolean; decayWith?: unknown },
): { l2: Hyper; decoupled: Hyper } | undefined {
  if (!options.decoupledWeightDecay) return { l2: weightDecay, decoupled: 0 };
  return options.decayWith === "multiplier" ? undefined : { l2: 0, decoupled: weightDecay };
}

/** The fields every fusion spec takes from the resolved common options. */
export function fusionBase(
  owner: string,
  o: { lr: Hyper; maximize: boolean; mask: Mask | undefined },
): { owner: string; lr: Hyper; maximize: boolean; mask: Mask | undefined } {
  return { owner, lr: o.lr, maximize: o.maximize, mask: o.mask };
}

/** β1 and β2 of a `betas` pair, as the fusion specs name them. */
export function betaPair(o: { betas: readonly [Hyper, number] }): { beta1: Hyper; beta2: number } {
  return { beta1: o.betas[0], beta2: o.betas[1] };
}
