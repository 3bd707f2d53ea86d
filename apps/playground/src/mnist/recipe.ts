/**
 * What the MNIST page trains and how, in one place: the page builds its optimizer from here and the
 * test builds the very same chain in Node to replay the page's steps through the core.
 */
import { type AnyTransformation, adamw, chain, clipByGlobalNorm, warmupCosineDecay } from "momenta-optim";

export const RECIPE = {
  /** The seeds of the weights' initialization and of the epochs' shuffles. */
  initSeed: 20,
  shuffleSeed: 21,
  /**
   * Small, so a run takes well under a minute on a software GPU (SwiftShader's WebGPU, where the
   * first layer's matrix products are most of a step): still about 90 % on the held-out digits.
   */
  hidden: 32,
  batch: 150,
  epochs: 8,
  peakLr: 0.01,
  /** One epoch of the 3,000 digits: long enough for Adam's second moments to settle. */
  warmupSteps: 20,
  weightDecay: 0.01,
  maxNorm: 1,
} as const;

/** The updates a run makes: whole batches only, so every step sees `batch` digits. */
export function totalSteps(trainSize: number): number {
  return RECIPE.epochs * Math.floor(trainSize / RECIPE.batch);
}

/** The variables' names (TF.js registers them under these; the optimizer keys its state by them). */
export const VARIABLES = {
  w1: "mnist/dense1/kernel",
  b1: "mnist/dense1/bias",
  w2: "mnist/dense2/kernel",
  b2: "mnist/dense2/bias",
} as const;

/** The learning rate over a run of `steps` updates: linear warmup to the peak, cosine decay to 0. */
export function lrSchedule(steps: number) {
  return warmupCosineDecay({ peak: RECIPE.peakLr, warmupSteps: RECIPE.warmupSteps, decaySteps: steps });
}

/**
 * Global-norm clipping before AdamW (the moments see the clipped gradient), the decay on the
 * kernels only (biases are not shrunk toward 0).
 */
export function mnistTransform(steps: number): AnyTransformation {
  return chain(
    clipByGlobalNorm(RECIPE.maxNorm),
    adamw({
      lr: lrSchedule(steps),
      weightDecay: RECIPE.weightDecay,
      mask: (path) => path.endsWith("/kernel"),
    }),
  );
}

/** The same chain as source text, for the page to show. */
export function recipeCode(steps: number): string {
  const r = RECIPE;
  return [
    `const lr = warmupCosineDecay({ peak: ${r.peakLr}, warmupSteps: ${r.warmupSteps}, decaySteps: ${steps} });`,
    "const optimizer = tfjsOptimizer(",
    "  chain(",
    `    clipByGlobalNorm(${r.maxNorm}),`,
    `    adamw({ lr, weightDecay: ${r.weightDecay}, mask: (path) => path.endsWith("/kernel") }),`,
    "  ),",
    ");",
  ].join("\n");
}
