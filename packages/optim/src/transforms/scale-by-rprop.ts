import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

/** Options of `scaleByRprop`. */
export interface ScaleByRpropOptions {
  /** The step size every coordinate starts with, > 0 (PyTorch's `lr`). Default 0.01. */
  lr?: number;
  /** `[η−, η+]`: the step size's factor when the gradient's sign flips (0 < η− < 1) and when it holds (η+ > 1). Default [0.5, 1.2]. */
  etas?: readonly [number, number];
  /** [min, max] step size, 0 ≤ min ≤ max. Default [1e-6, 50]. */
  stepSizes?: readonly [number, number];
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByRprop". */
  owner?: string;
}

/** State of `scaleByRprop`. */
export interface ScaleByRpropState {
  /** Updates applied so far. */
  count: number;
  /** The gradient the last update used (0 where its sign had flipped), PyTorch's `prev`. */
  prev: FloatArray[];
  /** Each coordinate's step size, PyTorch's `step_size`. */
  stepSize: FloatArray[];
}

/**
 * Rprop's direction (Riedmiller & Braun 1993; PyTorch's `Rprop`, op for op): per coordinate, the
 * step size grows by η+ while the gradient keeps its sign and shrinks by η− when it flips, within
 * [min, max]; the output is `sign(g)·step`, and 0 on a flip (the gradient is then forgotten, so the
 * next step neither grows nor shrinks). Only signs are used: the gradient's scale never enters, which
 * is why Rprop wants full batches (minibatch noise flips signs). Negate after it (the `rprop` alias
 * does).
 */
export function scaleByRprop(options: ScaleByRpropOptions = {}): GradientTransformation<ScaleByRpropState> {
  const owner = ownerOption(options, "scaleByRprop");
  checkOptions(owner, options, ["lr", "etas", "stepSizes", "owner"]);
  const lr = checkNumber(owner, "lr", options.lr ?? 0.01, "(0, inf)");
  const [etaMinus, etaPlus] = pair(owner, "etas", options.etas ?? [0.5, 1.2], ["(0, 1)", "(1, inf)"]);
  const [min, max] = pair(owner, "stepSizes", options.stepSizes ?? [1e-6, 50], ["[0, inf)", "[0, inf)"]);
  if (min > max)
    throw new RangeError(`${owner}: stepSizes must be [min, max] with min ≤ max, got [${min}, ${max}]`);
  return {
    config: () => ({ lr, "etas[0]": etaMinus, "etas[1]": etaPlus, "stepSizes[0]": min, "stepSizes[1]": max }),
    init: (params) => ({ count: 0, prev: buffersLike(params), stepSize: buffersLike(params, lr) }),
    buffers: (state) => ({ prev: state.prev, stepSize: state.stepSize }),
    update(updates: Tree, state) {
      const us = updateLeaves(owner, updates, state.prev);
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const prev = state.prev[i]!;
        const step = state.stepSize[i]!;
        // float32 as PyTorch computes it: the product rounded (a tiny pair's is 0: no sign) and the
        // factors float32 numbers
        const f32 = u instanceof Float32Array;
        const up = f32 ? Math.fround(etaPlus) : etaPlus;
        const down = f32 ? Math.fround(etaMinus) : etaMinus;
        for (let j = 0; j < u.length; j++) {
          let g = u[j]!;
          const prod = f32 ? Math.fround(g * prev[j]!) : g * prev[j]!;
          // NaN stays NaN, as torch's sign-and-replace leaves it
          const factor = prod > 0 ? up : prod < 0 ? down : prod === 0 ? 1 : Number.NaN;
          step[j] = step[j]! * factor;
          step[j] = Math.min(Math.max(step[j]!, min), max);
          if (factor === down) g = 0;
          u[j] = Math.sign(g) * step[j]!;
          prev[j] = g;
        }
      }
      state.count += 1;
      return updates;
    },
  };
}

function pair(
  owner: string,
  name: string,
  value: unknown,
  ranges: readonly [string, string],
): [number, number] {
  if (!Array.isArray(value) || value.length !== 2)
    throw new TypeError(`${owner}: ${name} must be a pair of numbers`);
  return [
    checkNumber(owner, `${name}[0]`, value[0], ranges[0]),
    checkNumber(owner, `${name}[1]`, value[1], ranges[1]),
  ];
}
