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
  /** RESUME_RECIPES[recipe] from startValues, SAVE_AT steps, getWeights, RESUME_STEPS more (webgpu). */
  saveAndGoOn(recipe: string): Promise<ResumeRun>;
  /** RESUME_RECIPES[recipe] restored from `saved` (taken after SAVE_AT steps), RESUME_STEPS more (webgpu). */
  resumeFrom(recipe: string, saved: Saved): Promise<ResumeRun>;
  /** SAVE_AT steps on webgpu (`readFirst`: then `await getWeights()`), the `momenta` getter, a step. */
  syncGetter(recipe: string, readFirst: boolean): Promise<GetterProbe>;
  strictClip(): Promise<StrictClipProbe>;
}

// Save on webgpu → resume on cpu, and back (test/web/tfjs-webgpu-resume.test.ts).

/** Steps before the save, and after it on each side. */
export const SAVE_AT = 12;
export const RESUME_STEPS = 12;

/**
 * The recipes saved and resumed. A schedule of the step count, clipping (its last norm is in the
 * state) and masks are among them: all must carry over through the saved state.
 */
export const RESUME_RECIPES: Record<string, () => m.AnyTransformation> = {
  adamw: () => m.adamw({ lr: 0.01, weightDecay: 0.1 }),
  "clip → adamw, warmup-cosine lr, masked": () =>
    m.chain(
      m.clipByGlobalNorm(0.5),
      m.adamw({
        lr: m.warmupCosineDecay({ peak: 0.02, warmupSteps: 5, decaySteps: SAVE_AT + RESUME_STEPS }),
        weightDecay: 0.1,
        mask: (p) => !p.includes("b"),
      }),
    ),
  "sgd momentum nesterov": () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }),
  "rmsprop centered, momentum": () => m.rmsprop({ lr: 0.003, centered: true, momentum: 0.9 }),
  "nadamw scheduled β1, maximize; masked": () =>
    m.nadam({
      lr: 0.01,
      weightDecay: 0.1,
      decoupledWeightDecay: true,
      betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
      maximize: true,
      mask: (p) => !p.includes("k"),
    }),
  "clip → radamw (steps before and after ρ > 5)": () =>
    m.chain(m.clipByGlobalNorm(0.5), m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true })),
};

const sizeOf = (n: string) => SHAPES[n]!.reduce((a, b) => a * b, 1);

/** The variables' values before the first step. */
export function startValues(): Record<string, number[]> {
  const next = rng(7);
  return Object.fromEntries(NAMES.map((n) => [n, Array.from({ length: sizeOf(n) }, () => 2 * next() - 1)]));
}

/** The gradients of step `t` (from 0, counted over the whole run), the same in the page and in Node. */
export function gradsAt(t: number): Record<string, number[]> {
  const next = rng(1000 + t);
  const scale = t === 3 ? 20 : 1;
  return Object.fromEntries(
    NAMES.map((n) => [n, Array.from({ length: sizeOf(n) }, () => scale * (2 * next() - 1))]),
  );
}

/** What a save carries: the variables' values, and getWeights' two weights as numbers. */
export interface Saved {
  params: Record<string, number[]>;
  iter: number;
  stateWords: number[];
}

export interface ResumeRun {
  backend: string;
  /** `opsKernel` after each step. */
  kernels: (string | undefined)[];
  /** saveAndGoOn: what was saved after SAVE_AT steps. */
  saved: Saved | undefined;
  /** After the last step. */
  final: Saved;
  /** Tensors alive at the end (optimizer and variables disposed) minus at the start. */
  leaked: number;
}

/** A strict clip's step on webgpu: what it threw, and the variables and iterations before and after. */
export interface StrictClipProbe {
  error: string | undefined;
  before: Record<string, number[]>;
  after: Record<string, number[]>;
  iterations: number;
}

export interface GetterProbe {
  kernel: string | undefined;
  /** What the getter threw, if it did. */
  error: string | undefined;
  /** The handle's params and state dict, if it returned (else `momentaAsync()`'s). */
  params: Record<string, number[]> | undefined;
  stateDict: unknown;
  /** After the getter: one more step and an asynchronous save (its state words), or what they threw. */
  after: { stateWords: number[] | undefined; error: string | undefined };
}
