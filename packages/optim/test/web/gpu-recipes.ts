/**
 * The recipes the GPU tests run (test/web/tfjs-webgpu.test.ts on TF.js's webgpu and webgl backends,
 * test/web/webgpu-standalone.test.ts on momenta-optim/webgpu), and the seeded generator their pages
 * and Node share.
 */
import * as m from "momenta-optim";

const cosine = (c: number) => 0.02 * (0.5 + 0.5 * Math.cos(c / 7));

/**
 * The recipes, by name: every fused kind (each has GPU programs), clipped (every norm type), masked
 * (by the leaf name's last letter: the pages' names end in b, k, w, v), scheduled, maximized.
 */
export const RECIPES: Record<string, () => m.AnyTransformation> = {
  adamw: () => m.adamw({ lr: 0.01, weightDecay: 0.1 }),
  "adam amsgrad, L2, maximize": () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true }),
  "clip → adamw maximize": () => m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01, maximize: true })),
  "adamw scheduled lr, wd, β1; masked": () =>
    m.adamw({
      lr: cosine,
      weightDecay: (c) => 0.1 / (1 + c),
      betas: [(c) => 0.8 + 0.1 * Math.sin(c), 0.99],
      mask: (p) => !p.endsWith("b"),
    }),
  "sgd momentum": () => m.sgd({ lr: 0.05, momentum: 0.9 }),
  "sgd nesterov, L2, maximize; masked": () =>
    m.sgd({
      lr: 0.05,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 0.01,
      maximize: true,
      mask: (p) => !p.endsWith("k"),
    }),
  "sgdw without momentum, scheduled lr": () => m.sgdw({ lr: cosine, weightDecay: 0.1 }),
  rmsprop: () => m.rmsprop({ lr: 0.003 }),
  "rmsprop centered, momentum, L2, maximize": () =>
    m.rmsprop({ lr: 0.003, centered: true, momentum: 0.9, weightDecay: 0.01, maximize: true }),
  "clip → rmsprop momentum, scheduled lr": () =>
    m.chain(m.clipByGlobalNorm(0.5), m.rmsprop({ lr: cosine, momentum: 0.5 })),
  "lion decoupled, scheduled β1, maximize": () =>
    m.lion({ lr: 0.01, weightDecay: 0.1, betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99], maximize: true }),
  "clip (1-norm) → adagrad lrDecay, L2, initial accumulator": () =>
    m.chain(
      m.clipByGlobalNorm(5, { normType: 1 }),
      m.adagrad({ lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 }),
    ),
  nadam: () => m.nadam({ lr: 0.01 }),
  "nadamw scheduled β1, maximize; masked": () =>
    m.nadam({
      lr: 0.01,
      weightDecay: 0.1,
      decoupledWeightDecay: true,
      betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
      maximize: true,
      mask: (p) => !p.endsWith("b"),
    }),
  "radam L2 (steps before and after ρ > 5)": () => m.radam({ lr: 0.01, weightDecay: 0.01 }),
  "clip (∞-norm) → radamw maximize": () =>
    m.chain(
      m.clipByGlobalNorm(0.5, { normType: Infinity }),
      m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true }),
    ),
  adamax: () => m.adamax({ lr: 0.01 }),
  "adamax L2, maximize, scheduled lr": () => m.adamax({ lr: cosine, weightDecay: 0.01, maximize: true }),
  lamb: () => m.lamb({ lr: 0.01 }),
  "clip → lamb decay, maximize, no bias correction, scheduled lr; masked": () =>
    m.chain(
      m.clipByGlobalNorm(0.5),
      m.lamb({
        lr: cosine,
        weightDecay: 0.1,
        maximize: true,
        biasCorrection: false,
        mask: (p) => !p.endsWith("b"),
      }),
    ),
  "schedule-free adamw": () => m.scheduleFreeAdamw({ lr: 0.01 }),
  "schedule-free adamw warmup, decay at z, maximize, scheduled β1; masked": () =>
    m.scheduleFreeAdamw({
      lr: 0.01,
      warmupSteps: 5,
      weightDecay: 0.1,
      decayAtZ: true,
      maximize: true,
      betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
      mask: (p) => !p.endsWith("k"),
    }),
  adadelta: () => m.adadelta({ lr: 1 }),
  "clip (3-norm) → adadelta L2, maximize": () =>
    m.chain(
      m.clipByGlobalNorm(0.5, { normType: 3 }),
      m.adadelta({ lr: 1, weightDecay: 0.01, maximize: true }),
    ),
};
/** A deterministic generator in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
