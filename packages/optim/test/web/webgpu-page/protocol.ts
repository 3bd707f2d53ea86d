/** What test/web/tfjs-webgpu.test.ts and its page (./main.ts) share. */
import * as m from "momenta-optim";

export const NAMES = ["gpu/b", "gpu/k", "gpu/w"];
export const SHAPES: Record<string, number[]> = { "gpu/w": [6, 5], "gpu/b": [5], "gpu/k": [4, 3] };
export const STEPS = 50;

const cosine = (c: number) => 0.02 * (0.5 + 0.5 * Math.cos(c / 7));

/** The recipes, by name; `gpu`: whether the kind has webgpu programs (else TF.js's ops run it). */
export const RECIPES: Record<string, { tx: () => m.AnyTransformation; gpu: boolean }> = {
  adamw: { tx: () => m.adamw({ lr: 0.01, weightDecay: 0.1 }), gpu: true },
  "adam amsgrad L2 maximize": {
    tx: () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true }),
    gpu: true,
  },
  "clip → adamw maximize": {
    tx: () => m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01, maximize: true })),
    gpu: true,
  },
  "adamw scheduled lr, wd, β1; masked": {
    tx: () =>
      m.adamw({
        lr: cosine,
        weightDecay: (c) => 0.1 / (1 + c),
        betas: [(c) => 0.8 + 0.1 * Math.sin(c), 0.99],
        mask: (p) => !p.includes("b"),
      }),
    gpu: true,
  },
  "sgd momentum": { tx: () => m.sgd({ lr: 0.05, momentum: 0.9 }), gpu: true },
  "sgd nesterov, L2, maximize; masked": {
    tx: () =>
      m.sgd({
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        weightDecay: 0.01,
        maximize: true,
        mask: (p) => !p.includes("k"),
      }),
    gpu: true,
  },
  "sgdw without momentum, scheduled lr": { tx: () => m.sgdw({ lr: cosine, weightDecay: 0.1 }), gpu: true },
  "lion decoupled, scheduled β1, maximize": {
    tx: () =>
      m.lion({ lr: 0.01, weightDecay: 0.1, betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99], maximize: true }),
    gpu: true,
  },
  "clip → adagrad lrDecay, L2, initial accumulator": {
    tx: () =>
      m.chain(
        m.clipByGlobalNorm(0.5),
        m.adagrad({ lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 }),
      ),
    gpu: true,
  },
  rmsprop: { tx: () => m.rmsprop({ lr: 0.003 }), gpu: true },
  "rmsprop centered, momentum, L2, maximize": {
    tx: () => m.rmsprop({ lr: 0.003, centered: true, momentum: 0.9, weightDecay: 0.01, maximize: true }),
    gpu: true,
  },
  "clip → rmsprop momentum, scheduled lr": {
    tx: () => m.chain(m.clipByGlobalNorm(0.5), m.rmsprop({ lr: cosine, momentum: 0.5 })),
    gpu: true,
  },
  nadam: { tx: () => m.nadam({ lr: 0.01 }), gpu: true },
  "nadamw scheduled β1, maximize; masked": {
    tx: () =>
      m.nadam({
        lr: 0.01,
        weightDecay: 0.1,
        decoupledWeightDecay: true,
        betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
        maximize: true,
        mask: (p) => !p.includes("b"),
      }),
    gpu: true,
  },
  "radam L2 (steps before and after ρ > 5)": {
    tx: () => m.radam({ lr: 0.01, weightDecay: 0.01 }),
    gpu: true,
  },
  "clip → radamw maximize": {
    tx: () =>
      m.chain(
        m.clipByGlobalNorm(0.5),
        m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true }),
      ),
    gpu: true,
  },
  adamax: { tx: () => m.adamax({ lr: 0.01 }), gpu: true },
  "adamax L2, maximize, scheduled lr": {
    tx: () => m.adamax({ lr: cosine, weightDecay: 0.01, maximize: true }),
    gpu: true,
  },
  adadelta: { tx: () => m.adadelta({ lr: 1 }), gpu: true },
  "clip → adadelta L2, maximize": {
    tx: () => m.chain(m.clipByGlobalNorm(0.5), m.adadelta({ lr: 1, weightDecay: 0.01, maximize: true })),
    gpu: true,
  },
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

/** One step as the page saw it: the values before, the gradients, the values after. */
export interface StepRecord {
  /** What ran it: "webgpu" (the kind's programs) or "ops". */
  kernel: string | undefined;
  before: Values;
  grads: Record<string, number[]>;
  after: Values;
}

export interface Values {
  params: Record<string, number[]>;
  /** The optimizer's saved state words (getWeights' second weight); absent before the first step. */
  stateWords: number[] | undefined;
}

export interface WebGpuRun {
  backend: string;
  steps: StepRecord[];
  /** Tensors alive after the run (the optimizer disposed) minus before it. */
  leaked: number;
  /** Tensors alive after each step minus after the first (flat: nothing grows per step). */
  growth: number[];
}

export interface WebGpuHook {
  run(recipe: string): Promise<WebGpuRun>;
}
