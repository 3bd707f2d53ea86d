import { scaleByLion } from "../transforms/scale-by-lion.js";
import { common, decoupled, stateStorage, storage } from "./common.js";
import { betas, declareOptimizer, type OptionsOf } from "./declaration.js";
import { betaPair, fusionBase } from "./fusion.js";

const options = {
  ...common(1e-4, 0),
  /** (β1, β2): β1 interpolates the sign's input (may follow a schedule), β2 is the momentum's decay; both in [0, 1). Default [0.9, 0.99]. */
  betas: betas(0.9, 0.99),
  ...stateStorage(),
};

/** Options of `lion`: the authors' PyTorch code's. */
export type LionOptions = OptionsOf<typeof options>;

/**
 * Lion (Chen et al. 2023): `c ← β1·m + (1−β1)·g`, `p ← p − lr_t·(sign(c) + λ_t·p)`,
 * `m ← β2·m + (1−β2)·g` — the paper's Program 1 and the authors' PyTorch code (google/automl
 * `lion_pytorch.py`), whose argument names and defaults these are: lr 1e-4, betas [0.9, 0.99],
 * weightDecay 0 (decoupled, scaled by lr as in PyTorch's AdamW). Before decay every entry of the
 * step is exactly ±lr (0 where c is exactly 0), so lr is typically 3–10× smaller than AdamW's and λ
 * as many times larger. One buffer per parameter.
 */
export const lion = declareOptimizer({
  name: "lion",
  title: "Lion",
  decay: "decoupled",
  reference: { optax: "optax.lion", code: "google/automl lion_pytorch.py" },
  options,
  build: (o) => decoupled("lion", o, [scaleByLion({ betas: o.betas, ...storage(o), owner: "lion" })]),
  fusion: (o) => ({
    kind: "lion",
    ...fusionBase("lion", o),
    ...betaPair(o),
    l2: 0,
    decoupled: o.weightDecay,
  }),
});
