import { scaleByRadam } from "../transforms/scale-by-radam.js";
import { common, eitherDecay, eitherDecayOptions } from "./common.js";
import { betas, declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { betaPair, eitherDecays, fusionBase } from "./fusion.js";

const options = {
  ...common(1e-3, 0),
  /** (β1, β2): decay rates of the running averages of the gradient and of its square, each in [0, 1); β1 may follow a schedule. Default [0.9, 0.999]. */
  betas: betas(0.9, 0.999),
  /** Added to √v (before the bias correction, as PyTorch does) for numerical stability, ≥ 0. Default 1e-8. */
  eps: num(1e-8, "[0, inf)"),
  ...eitherDecayOptions(),
};

/** Options of `radam`: `torch.optim.RAdam`'s. */
export type RadamOptions = OptionsOf<typeof options>;

/** `torch.optim.RAdam`: RAdam's rectified preconditioner, L2 or decoupled decay. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export const radam = declareOptimizer({
  name: "radam",
  title: "RAdam",
  decay: "either",
  reference: { pytorch: "torch.optim.RAdam", optax: "optax.radam" },
  options,
  build: (o) => eitherDecay("radam", o, scaleByRadam({ betas: o.betas, eps: o.eps, owner: "radam" })),
  fusion: (o) => {
    const decays = eitherDecays(o.weightDecay, o);
    if (!decays) return undefined;
    return {
      kind: "radam",
      ...fusionBase("radam", o),
      ...betaPair(o),
      eps: o.eps,
      ...decays,
    };
  },
});
