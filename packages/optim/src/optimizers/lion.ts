import type { Hyper } from "../hyper.js";
import { checkBetas } from "../transforms/scale-by-adam.js";
import { scaleByLion } from "../transforms/scale-by-lion.js";
import { type CommonOptions, commonOptions, decoupled, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";

/** Options of `lion`: the authors' PyTorch code's. */
export interface LionOptions extends CommonOptions {
  /** (β1, β2): β1 interpolates the sign's input (may follow a schedule), β2 is the momentum's decay; both in [0, 1). Default [0.9, 0.99]. */
  betas?: readonly [Hyper, number];
}

/**
 * Lion (Chen et al. 2023): `c ← β1·m + (1−β1)·g`, `p ← p − lr_t·(sign(c) + λ_t·p)`,
 * `m ← β2·m + (1−β2)·g` — the paper's Program 1 and the authors' PyTorch code (google/automl
 * `lion_pytorch.py`), whose argument names and defaults these are: lr 1e-4, betas [0.9, 0.99],
 * weightDecay 0 (decoupled, scaled by lr as in PyTorch's AdamW). Before decay every entry of the
 * step is exactly ±lr (0 where c is exactly 0), so lr is typically 3–10× smaller than AdamW's and λ
 * as many times larger. One buffer per parameter.
 */
export function lion(options: LionOptions = {}): Optimizer {
  const owner = "lion";
  const c = commonOptions(owner, options, ["betas"], { lr: 1e-4, weightDecay: 0 });
  const betas = options.betas === undefined ? ([0.9, 0.99] as const) : checkBetas(owner, options.betas);
  const tx = decoupled(owner, c, [scaleByLion({ betas, owner })]);
  return describe(tx, {
    kind: "lion",
    owner,
    ...c,
    beta1: betas[0],
    beta2: betas[1],
    l2: 0,
    decoupled: c.weightDecay,
  });
}
