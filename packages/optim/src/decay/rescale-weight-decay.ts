import { checkNumber } from "../hyper.js";

/**
 * With decoupled decay the pull toward zero per step is lr·λ, so to keep the regularization when you
 * change the learning rate, change λ inversely: halve lr, double λ. Returns λ' = λ·fromLr/toLr.
 */
export function rescaleWeightDecay(weightDecay: number, fromLr: number, toLr: number): number {
  const owner = "rescaleWeightDecay";
  checkNumber(owner, "weightDecay", weightDecay, "[0, inf)");
  checkNumber(owner, "fromLr", fromLr, "[0, inf)");
  checkNumber(owner, "toLr", toLr, "(0, inf)");
  return (weightDecay * fromLr) / toLr;
}
