import { commonOptions, type DecayWith, decoupled, type Optimizer } from "./common.js";
import { describe } from "./fusion.js";
import { momentumOptions, SGD_OPTIONS, type SgdOptions } from "./sgd.js";

/** Options of `sgdw`: SGD's, and how the decoupled decay is scaled. */
export interface SgdwOptions extends SgdOptions {
  /** "lr" (default): p ← p·(1 − lr_t·λ); "multiplier": p ← p·(1 − η_t·λ), as in the SGDW paper. */
  decayWith?: DecayWith;
}

/**
 * SGDW (Loshchilov & Hutter): SGD with momentum and decoupled weight decay,
 * `p ← p − lr·(b + λp)` — the decay does not pass through the momentum buffer, exactly as AdamW's
 * does not pass through Adam's moments. Same options as `sgd`; weightDecay default 0.
 */
export function sgdw(options: SgdwOptions = {}): Optimizer {
  const owner = "sgdw";
  const c = commonOptions(owner, options, [...SGD_OPTIONS, "decayWith"], { lr: 1e-3, weightDecay: 0 });
  const m = momentumOptions(owner, options);
  const tx = decoupled(owner, c, m.links, options.decayWith);
  if (options.decayWith === "multiplier") return tx;
  return describe(tx, { kind: "sgd", owner, ...c, l2: 0, decoupled: c.weightDecay, ...m });
}
