import { scaleByAdadelta } from "../transforms/scale-by-adadelta.js";
import { alias, ascent, common, decay } from "./common.js";
import { declareOptimizer, num, type OptionsOf } from "./declaration.js";
import { fusionBase } from "./fusion.js";

const options = {
  ...common(1, 0),
  /** Decay rate ρ of the running averages of squared gradients and squared updates, in [0, 1]. Default 0.9. */
  rho: num(0.9, "[0, 1]"),
  /** Added inside both square roots for numerical stability, ≥ 0. Default 1e-6. */
  eps: num(1e-6, "[0, inf)"),
};

/** Options of `adadelta`: `torch.optim.Adadelta`'s. */
export type AdadeltaOptions = OptionsOf<typeof options>;

/** `torch.optim.Adadelta`: `g ← ±g + λp`, then Adadelta's RMS ratio, `p ← p − lr·δ`. Defaults: lr 1, rho 0.9, eps 1e-6. */
export const adadelta = declareOptimizer({
  name: "adadelta",
  title: "Adadelta",
  decay: "l2",
  reference: { pytorch: "torch.optim.Adadelta", optax: "optax.adadelta" },
  options,
  build: (o) =>
    alias("adadelta", o.lr, [
      ...ascent(o.maximize),
      ...decay("adadelta", o.weightDecay, o.mask),
      scaleByAdadelta({ rho: o.rho, eps: o.eps, owner: "adadelta" }),
    ]),
  fusion: (o) => ({
    kind: "adadelta",
    ...fusionBase("adadelta", o),
    rho: o.rho,
    eps: o.eps,
    l2: o.weightDecay,
    decoupled: 0,
  }),
});
