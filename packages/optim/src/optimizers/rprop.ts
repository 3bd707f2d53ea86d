import { chain } from "../transform.js";
import { scale } from "../transforms/scale.js";
import { scaleByRprop } from "../transforms/scale-by-rprop.js";
import { ascent, type Optimizer } from "./common.js";
import { bool, declareOptimizer, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  /** The step size every coordinate starts with, > 0 (not a multiplier: Rprop adapts each step size itself). Default 0.01. */
  lr: num(0.01, "(0, inf)"),
  /** `[η−, η+]`: the step size's factor when the gradient's sign flips, in (0, 1), and when it holds, > 1. Default [0.5, 1.2]. */
  etas: tuple<readonly [number, number]>("a pair [etaMinus, etaPlus]", [
    num(0.5, "(0, 1)"),
    num(1.2, "(1, inf)"),
  ]),
  /** [min, max] step size, each ≥ 0, min ≤ max. Default [1e-6, 50]. */
  stepSizes: tuple<readonly [number, number]>("a pair [min, max]", [
    num(1e-6, "[0, inf)"),
    num(50, "[0, inf)"),
  ]),
  /** Maximize the objective instead of minimizing it: the gradient is negated first. Default false. */
  maximize: bool(false),
};

/** Options of `rprop`: PyTorch's `Rprop`'s, in camelCase (`step_sizes → stepSizes`). */
export type RpropOptions = OptionsOf<typeof options>;

/**
 * Rprop, resilient backpropagation (Riedmiller & Braun 1993, "A Direct Adaptive Method for Faster
 * Backpropagation Learning: The RPROP Algorithm"; PyTorch's `torch.optim.Rprop`, op for op):
 * `[±] → scaleByRprop → ×(−1)`. Each coordinate moves by its own step size in the direction
 * opposite its gradient's sign; the step grows ×η+ while the sign holds and shrinks ×η− when it
 * flips (that step is skipped). A full-batch method: minibatch noise flips signs at random.
 * Defaults (PyTorch's): lr 0.01, etas [0.5, 1.2], stepSizes [1e-6, 50]. Two buffers per parameter.
 */
export const rprop = declareOptimizer({
  name: "rprop",
  title: "Rprop",
  reference: { pytorch: "torch.optim.Rprop", optax: "optax.rprop" },
  options,
  build: (o) =>
    chain(
      ...ascent(o.maximize),
      scaleByRprop({ lr: o.lr, etas: o.etas, stepSizes: o.stepSizes, owner: "rprop" }),
      scale(-1),
    ) as Optimizer,
});
