import { alias, ascent, commonOptions, decay, type Optimizer } from "./common.ts";
import { momentumOptions, SGD_OPTIONS, type SgdOptions } from "./sgd.ts";

/**
 * SGDW (Loshchilov & Hutter): SGD with momentum and decoupled weight decay,
 * `p ← p − lr·(b + λp)` — the decay does not pass through the momentum buffer, exactly as AdamW's
 * does not pass through Adam's moments. Same options as `sgd`; weightDecay default 0.
 */
export function sgdw(options: SgdOptions = {}): Optimizer {
  const owner = "sgdw";
  const c = commonOptions(owner, options, SGD_OPTIONS, { lr: 1e-3, weightDecay: 0 });
  return alias(owner, c.lr, [
    ...ascent(c.maximize),
    ...momentumOptions(owner, options),
    ...decay(owner, c.weightDecay, c.mask),
  ]);
}
