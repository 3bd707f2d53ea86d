/**
 * What an optimizer alias computes, stated once more as data, so that the fused kernels can run it in
 * one pass. Every field is the alias's own resolved option; a `0` decay means the link is absent.
 * The kernels are tested equal to the chain itself, which stays the definition.
 */
import type { Hyper } from "../hyper.js";
import type { Mask } from "../tree.js";
import type { Optimizer } from "./common.js";

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
}

export type FusionSpec =
  | (Common & { kind: "adam"; beta1: Hyper; beta2: number; eps: number; amsgrad: boolean })
  | (Common & { kind: "sgd"; momentum: Hyper; dampening: number; nesterov: boolean })
  | (Common & { kind: "rmsprop"; alpha: number; eps: number; centered: boolean; momentum: Hyper })
  | (Common & { kind: "adagrad"; eps: number })
  | (Common & { kind: "lion"; beta1: Hyper; beta2: number });

/** Attaches the description to an alias's chain. */
export function describe(tx: Optimizer, spec: FusionSpec): Optimizer {
  return Object.assign(tx, { fusion: spec });
}
