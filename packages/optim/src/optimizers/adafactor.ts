import { clipByBlockRms } from "../clipping/clip-by-block-rms.js";
import { checkNumber, type Hyper, showValue, valueAt } from "../hyper.js";
import { type AnyTransformation, chain } from "../transform.js";
import { addDecayedWeights } from "../transforms/add-decayed-weights.js";
import { scale } from "../transforms/scale.js";
import { scaleByFactoredRms } from "../transforms/scale-by-factored-rms.js";
import { scaleByParamBlockRms } from "../transforms/scale-by-param-block-rms.js";
import { scaleBySchedule } from "../transforms/scale-by-schedule.js";
import { active, ascent, type CommonOptions, commonOptions, type Optimizer } from "./common.js";

/** Options of `adafactor`: `torch.optim.Adafactor`'s. */
export interface AdafactorOptions extends CommonOptions {
  /** τ ≤ 0 in the second-moment weight `1 − β̂2_t = t^τ`. Default −0.8. */
  beta2Decay?: number;
  /**
   * The pair `[ε1, ε2]`, each ≥ 0: ε1 floors the second moment (null: the machine epsilon of each
   * leaf's dtype), ε2 the param RMS the relative step is scaled by. Default [null, 1e-3].
   */
  eps?: readonly [number | null, number];
  /** Update-clipping threshold d ≥ 1 on the RMS of each leaf's update. Default 1. */
  d?: number;
}

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
export function adafactor(options: AdafactorOptions = {}): Optimizer {
  const owner = "adafactor";
  const c = commonOptions(owner, options, ["beta2Decay", "eps", "d"], { lr: 1e-2, weightDecay: 0 });
  const eps = options.eps ?? [null, 1e-3];
  if (!Array.isArray(eps) || eps.length !== 2) {
    throw new RangeError(`${owner}: eps must be a pair [eps1 or null, eps2], got ${showValue(eps)}`);
  }
  const eps1 = eps[0] === null ? null : checkNumber(owner, "eps[0]", eps[0], "[0, inf)");
  const eps2 = checkNumber(owner, "eps[1]", eps[1], "[0, inf)");
  const d = checkNumber(owner, "d", options.d ?? 1, "[1, inf)");
  const lrAt = (count: number) => valueAt(owner, "lr", c.lr, count, "[0, inf)");
  const rho = (count: number) => Math.min(lrAt(count), 1 / Math.sqrt(count + 1));
  const links: AnyTransformation[] = [
    ...ascent(c.maximize),
    scaleByFactoredRms({ beta2Decay: options.beta2Decay, eps: eps1, owner }),
    clipByBlockRms(d, { owner }),
    scaleByParamBlockRms(eps2, { owner }),
    scaleBySchedule(rho, { owner, name: "relative step" }),
  ];
  if (active(c.weightDecay)) {
    const wd = c.weightDecay;
    const lrWd: Hyper =
      typeof c.lr === "number" && typeof wd === "number"
        ? c.lr * wd
        : (count) => lrAt(count) * valueAt(owner, "weightDecay", wd, count, "[0, inf)");
    links.push(addDecayedWeights(lrWd, { mask: c.mask, owner }));
  }
  return chain(...links, scale(-1)) as Optimizer;
}
