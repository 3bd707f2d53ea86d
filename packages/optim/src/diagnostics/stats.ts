/**
 * The statistics `observe` reports: plain data (numbers, strings, booleans, null, arrays and plain
 * objects), so that `JSON.stringify` or `toJsonl` can write them. The names are part of the API and
 * stay stable; a statistic observe cannot compute for the wrapped transform is `null`, never a
 * guess, and `unavailable` says why.
 *
 * Conventions shared by every field:
 * - Norms are 2-norms of the **finite** entries, accumulated in float64; non-finite entries (NaN,
 *   ±Infinity — and, in float64 leaves, the finite |x| > 1.3e154 whose square overflows) are counted
 *   instead, in `nonFinite` and per leaf. (`toJsonl` writes any NaN/±Infinity, e.g. an effective lr
 *   of lr/0 when ε = 0, as the strings "NaN"/"Infinity".)
 * - "Gradient" is what reaches the observed transform (read before it runs, since it may overwrite
 *   its input in place); "update" is what it returns, the step `applyUpdates` adds to the params;
 *   "params" are the params passed to `update`, before this step is applied.
 * - Hyperparameters are the values used by this step.
 */

/** One report, for the `step`-th update through `observe`. */
export interface OptimizerStats {
  /** Updates through observe so far, this one included (1 for the first). */
  step: number;
  /** ‖g‖ over every leaf. */
  gradNorm: number;
  /** ‖u‖ over every leaf. */
  updateNorm: number;
  /** ‖p‖ over every leaf; null when `update` was called without params. */
  paramNorm: number | null;
  /** ‖u‖ / ‖p‖; null without params or when ‖p‖ = 0. */
  updateToParam: number | null;
  /** Non-finite entries (NaN or ±Infinity) in the gradients, updates and params (null without params). */
  nonFinite: {
    /** In the gradients. */
    grads: number;
    /** In the updates. */
    updates: number;
    /** In the params; null without params. */
    params: number | null;
  };
  /** The `clipByGlobalNorm` in the observed chain; null when there is none (or it cannot be seen). */
  clip: ClipStats | null;
  /** Adam family only: lr/(√v̂ + ε) over every coordinate. */
  effectiveLr: EffectiveLrStats | null;
  /** Decoupled weight decay (adamw, sgdw…): the pull toward zero vs the rest of the step. */
  decay: DecayStats | null;
  /**
   * The hyperparameters this step used, by the names `injectHyperparams` gives them: `lr`,
   * `weightDecay`, `betas[0]`, `betas[1]`, `eps`, `momentum`, `dampening`, `alpha`…
   */
  hyperparams: Record<string, number> | null;
  /** Coordinates whose second moment their recent gradients do not justify (`vScar` option). */
  vScar: VScarReport | null;
  /** One entry per leaf, in tree order; null with `perLeaf: false`. */
  leaves: LeafStats[] | null;
  /** For each null statistic above, why it is null. Empty when nothing is missing. */
  unavailable: Record<string, string>;
}

/** `OptimizerStats` for one leaf (see `OptimizerStats` for each quantity). */
export interface LeafStats {
  /** The leaf's path, as `flatten` gives it ("" for a root leaf). */
  path: string;
  /** Elements in the leaf. */
  size: number;
  /** ‖g‖ over this leaf. */
  gradNorm: number;
  /** ‖u‖ over this leaf. */
  updateNorm: number;
  /** ‖p‖ over this leaf; null without params. */
  paramNorm: number | null;
  /** ‖u‖ / ‖p‖ for this leaf; null without params or when ‖p‖ = 0. */
  updateToParam: number | null;
  /** Non-finite entries in this leaf's gradient. */
  nonFiniteGrads: number;
  /** Non-finite entries in this leaf's update. */
  nonFiniteUpdates: number;
  /** The smallest and largest effective lr in this leaf (exact); null when not an Adam-family state. */
  effectiveLr: {
    /** The smallest. */
    min: number;
    /** The largest. */
    max: number;
  } | null;
}

/** What `observe` reports about the chain's `clipByGlobalNorm`. */
export interface ClipStats {
  /** The clip's threshold. */
  maxNorm: number;
  /** The norm the clip measured this step (its `totalNorm`), before clipping. */
  totalNorm: number;
  /** The factor the clip applied: min(1, maxNorm/(totalNorm + 1e-6)), as PyTorch computes it. */
  scale: number;
  /** This step's update was scaled down (scale < 1). Global-norm clipping changes every coordinate or none. */
  clipped: boolean;
  /** Steps clipped since the observe state was created, this one included. */
  clippedSteps: number;
  /** clippedSteps / step: the running fraction of updates changed by clipping. */
  clippedFraction: number;
}

/**
 * The effective per-coordinate learning rate of Adam's preconditioner, `lr/(√(v/(1−β2ᵗ)) + ε)` (v is
 * `maxExpAvgSq` with AMSGrad), over the coordinates whose v is finite. Percentiles interpolate
 * linearly between order statistics (numpy's default). `min` and `max` are always exact; p10, p50 and
 * p90 are exact when there are at most `sampleSize` coordinates, and otherwise read from a stratified
 * random sample of that many coordinates (see `observe`).
 */
export interface EffectiveLrStats {
  /** The smallest (exact). */
  min: number;
  /** The 10th percentile. */
  p10: number;
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The largest (exact). */
  max: number;
  /** Coordinates considered (those with a finite v). */
  coordinates: number;
  /** The sample size when the percentiles are approximate; null when they are exact. */
  sampled: number | null;
}

/**
 * Decoupled decay moves each decayed weight by `−lr·λ·p`; the rest of the update is the optimizer's
 * gradient step. `pullNorm = ‖lr·λ·p‖` over the decayed leaves, `stepNorm = ‖u + lr·λ·p‖` (the update
 * without its decay part) and `ratio = pullNorm / stepNorm` (null when stepNorm is 0).
 */
export interface DecayStats {
  /** λ this step. */
  weightDecay: number;
  /** ‖lr·λ·p‖ over the decayed leaves. */
  pullNorm: number;
  /** ‖u + lr·λ·p‖: the update without its decay part. */
  stepNorm: number;
  /** pullNorm / stepNorm; null when stepNorm is 0. */
  ratio: number | null;
}

/** What `findVScars` found: every flagged coordinate is counted; the worst are listed. */
export interface VScarReport {
  /** Coordinates flagged: v̂ > factor · (what their recent gradients justify). */
  count: number;
  /** The `factor` option used. */
  factor: number;
  /** The `recoverFactor` option used. */
  recoverFactor: number;
  /** The `window` option used. */
  window: number;
  /** The flagged coordinates with the largest ratio, largest first, at most `maxReported`. */
  scars: VScar[];
}

/** One flagged coordinate of a `VScarReport`. */
export interface VScar {
  /** The leaf's path. */
  path: string;
  /** The flat index inside the leaf (row-major for shaped leaves). */
  index: number;
  /** The bias-corrected second moment v̂ = v/(1−β2ᵗ). */
  vHat: number;
  /** The running estimate of E[g²] from recent gradients (see `observe`'s `vScar` option). */
  typical: number;
  /** vHat / typical. */
  ratio: number;
  /**
   * Steps from now until v̂ ≤ recoverFactor · typical if gradients stay typical (β2 and the bias
   * correction included); 0 if already there; null when it never recovers (AMSGrad keeps the max).
   */
  recoverySteps: number | null;
}
