import { scaleByLbfgs } from "../transforms/scale-by-lbfgs.js";
import type { Optimizer } from "./common.js";
import { choice, declareOptimizer, nullable, num, type OptionsOf } from "./declaration.js";

const options = {
  /** The step length, > 0: the line search's first trial, or every step's length without one. Default 1. */
  lr: num(1, "(0, inf)"),
  /** Iterations per `step(closure)`, an integer ≥ 1. Default 20. */
  maxIter: num(20, "[1, inf)", { integer: true }),
  /** Evaluations per `step(closure)`, an integer ≥ 1; null: ⌊maxIter · 5/4⌋. Default null. */
  maxEval: nullable(num(25, "[1, inf)", { integer: true })),
  /** A step ends when max |g| ≤ this, ≥ 0. Default 1e-7. */
  toleranceGrad: num(1e-7, "[0, inf)"),
  /** A step ends when the loss or the params change by less than this, ≥ 0. Default 1e-9. */
  toleranceChange: num(1e-9, "[0, inf)"),
  /** The curvature pairs (s, y) kept, an integer ≥ 1. Default 100. */
  historySize: num(100, "[1, inf)", { integer: true }),
  /** `"strong_wolfe"` for the strong-Wolfe line search, null for fixed steps of `lr`. Default null. */
  lineSearchFn: choice<"strong_wolfe" | null>([null, "strong_wolfe"], null),
};

/** Options of `lbfgs`: PyTorch's `LBFGS`'s, in camelCase (`max_iter → maxIter`, `line_search_fn → lineSearchFn`…). */
export type LbfgsOptions = OptionsOf<typeof options>;

/**
 * L-BFGS (Liu & Nocedal 1989, "On the limited memory BFGS method for large scale optimization";
 * PyTorch's `torch.optim.LBFGS`, its numerics over the whole param tree flattened in leaf order):
 * a quasi-Newton method that builds a curvature model from the last `historySize` steps, with an
 * optional strong-Wolfe line search. Step it with a closure — `opt.step(() => ({ loss, grads }))`,
 * evaluated at the params as they stand; one step runs up to `maxIter` iterations. Full-batch: the
 * curvature pairs assume the same objective at every evaluation. What physics-informed networks are
 * finished with after Adam, and what relaxes molecular geometries.
 * Defaults (PyTorch's): lr 1, maxIter 20, maxEval ⌊maxIter · 5/4⌋, toleranceGrad 1e-7,
 * toleranceChange 1e-9, historySize 100, lineSearchFn null.
 */
export const lbfgs = declareOptimizer({
  name: "lbfgs",
  title: "L-BFGS",
  reference: { pytorch: "torch.optim.LBFGS", optax: "optax.lbfgs" },
  closure: true,
  options,
  build: (o) =>
    scaleByLbfgs({
      lr: o.lr,
      maxIter: o.maxIter,
      ...(o.maxEval !== null ? { maxEval: o.maxEval } : {}),
      toleranceGrad: o.toleranceGrad,
      toleranceChange: o.toleranceChange,
      historySize: o.historySize,
      ...(o.lineSearchFn !== null ? { lineSearchFn: o.lineSearchFn } : {}),
      owner: "lbfgs",
    }) as unknown as Optimizer,
});
