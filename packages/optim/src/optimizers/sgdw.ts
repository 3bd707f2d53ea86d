import { decayWith, decoupled } from "./common.js";
import { declareOptimizer, type OptionsOf } from "./declaration.js";
import { momentumLinks, sgdFusion, sgdOptions } from "./sgd.js";

const options = { ...sgdOptions(), ...decayWith() };

/** Options of `sgdw`: SGD's, and how the decoupled decay is scaled. */
export type SgdwOptions = OptionsOf<typeof options>;

/**
 * SGDW (Loshchilov & Hutter): SGD with momentum and decoupled weight decay,
 * `p ← p − lr·(b + λp)` — the decay does not pass through the momentum buffer, exactly as AdamW's
 * does not pass through Adam's moments. Same options as `sgd`; weightDecay default 0.
 */
export const sgdw = declareOptimizer({
  name: "sgdw",
  title: "SGDW",
  decay: "decoupled",
  reference: { code: "Loshchilov & Hutter 2019, Algorithm 1 (SGDW)" },
  options,
  build: (o) => decoupled("sgdw", o, momentumLinks("sgdw", o), o.decayWith),
  fusion: (o) =>
    o.decayWith === "multiplier" ? undefined : sgdFusion("sgdw", o, { l2: 0, decoupled: o.weightDecay }),
});
