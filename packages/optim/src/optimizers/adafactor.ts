import { clipByBlockRms } from "../clipping/clip-by-block-rms.js";
import { type Hyper, valueAt } from "../hyper.js";
import { type AnyTransformation, chain } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import { scale } from "../transforms/scale.js";
import { scaleByFactoredRms } from "../transforms/scale-by-factored-rms.js";
import { scaleByParamBlockRms } from "../transforms/scale-by-param-block-rms.js";
import { scaleBySchedule } from "../transforms/scale-by-schedule.js";
import { active, ascent, common, type Optimizer } from "./common.js";
import { declareOptimizer, nullable, num, type OptionsOf, tuple } from "./declaration.js";

const options = {
  ...common(1e-2, 0),
  /** τ ≤ 0 in the second-moment weight `1 − β̂2_t = t^τ`. Default −0.8. */
  beta2Decay: num(-0.8, "(-inf, 0]"),
  /**
   * The pair `[ε1, ε2]`, each ≥ 0: ε1 floors the second moment (null: the machine epsilon of each
   * leaf's dtype), ε2 the param RMS the relative step is scaled by. Default [null, 1e-3].
   */
  eps: tuple<readonly [number | null, number]>("a pair [eps1 or null, eps2]", [
    nullable(num(0, "[0, inf)")),
    num(1e-3, "[0, inf)"),
  ]),
  /** Update-clipping threshold d ≥ 1 on the RMS of each leaf's update. Default 1. */
  d: num(1, "[1, inf)"),
};

/** Options of `adafactor`: `torch.optim.Adafactor`'s. */
export type AdafactorOptions = OptionsOf<typeof options>;

/**
 * `torch.optim.Adafactor` (PyTorch ≥ 2.5), step for step. With t the step number (from 1):
 * `ρ_t = min(lr_t, 1/√t)`, `α_t = max(ε2, RMS(p_{t−1}))·ρ_t`, `U = G/√max(V̂, ε1²)` (factored
 * second moments for leaves of ≥ 2 dims, see `scaleByFactoredRms`), `Û = U / max(1, RMS(U)/d)`, and
 * `p ← p·(1 − lr_t·λ_t) − α_t·Û`. As in PyTorch, lr is only the cap on the relative step ρ_t and the
 * scale of the decoupled decay. The chain: `[±] → scaleByFactoredRms → clipByBlockRms(d) →
 * scaleByParamBlockRms(ε2) → ×ρ_t → +lr_t·λ_t·p → ×(−1)`.
 * Defaults (PyTorch's): lr 1e-2, beta2Decay −0.8, eps [null, 1e-3], d 1, weightDecay 0.
 * Matrices must be given as `{ data, shape }` to be factored.
 */
export const adafactor = declareOptimizer({
  name: "adafactor",
  title: "Adafactor",
  decay: "decoupled",
  reference: { pytorch: "torch.optim.Adafactor", optax: "optax.adafactor" },
  options,
  build(o) {
    const owner = "adafactor";
    const lrAt = (count: number) => valueAt(owner, "lr", o.lr, count, "[0, inf)");
    const rho = (count: number) => Math.min(lrAt(count), 1 / Math.sqrt(count + 1));
    const links: AnyTransformation[] = [
      ...ascent(o.maximize),
      scaleByFactoredRms({ beta2Decay: o.beta2Decay, eps: o.eps[0], owner }),
      clipByBlockRms(o.d, { owner }),
      scaleByParamBlockRms(o.eps[1], { owner }),
      scaleBySchedule(rho, { owner, name: "relative step" }),
    ];
    if (active(o.weightDecay)) {
      const lr = o.lr;
      const wd = o.weightDecay;
      const lrWd: Hyper =
        typeof lr === "number" && typeof wd === "number"
          ? lr * wd
          : (count) => lrAt(count) * valueAt(owner, "weightDecay", wd, count, "[0, inf)");
      links.push(addDecayedWeights(lrWd, { mask: o.mask, owner }));
    }
    return chain(...links, scale(-1)) as Optimizer;
  },
});
