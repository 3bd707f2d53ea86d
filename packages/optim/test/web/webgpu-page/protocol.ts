/** What test/web/tfjs-webgpu.test.ts and its page (./main.ts) share. */
import * as m from "momenta-optim";

export const NAMES = ["gpu/b", "gpu/k", "gpu/w"];
export const SHAPES: Record<string, number[]> = { "gpu/w": [6, 5], "gpu/b": [5], "gpu/k": [4, 3] };
export const STEPS = 50;

const cosine = (c: number) => 0.02 * (0.5 + 0.5 * Math.cos(c / 7));

/** The recipes, by name: every fused kind, each running as its webgpu programs. */
export const RECIPES: Record<string, () => m.AnyTransformation> = {
  adamw: () => m.adamw({ lr: 0.01, weightDecay: 0.1 }),
  "adam amsgrad L2 maximize": () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true }),
  "clip → adamw maximize": () => m.chain(m.clipByGlobalNorm(0.5), m.adamw({ lr: 0.01, maximize: true })),
  "adamw scheduled lr, wd, β1; masked": () =>
    m.adamw({
      lr: cosine,
      weightDecay: (c) => 0.1 / (1 + c),
      betas: [(c) => 0.8 + 0.1 * Math.sin(c), 0.99],
      mask: (p) => !p.includes("b"),
    }),
  "sgd momentum": () => m.sgd({ lr: 0.05, momentum: 0.9 }),
  "sgd nesterov, L2, maximize; masked": () =>
    m.sgd({
      lr: 0.05,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 0.01,
      maximize: true,
      mask: (p) => !p.includes("k"),
    }),
  "sgdw without momentum, scheduled lr": () => m.sgdw({ lr: cosine, weightDecay: 0.1 }),
  "lion decoupled, scheduled β1, maximize": () =>
    m.lion({ lr: 0.01, weightDecay: 0.1, betas: [(c) => 0.9 - 0.01 * (c % 3), 0.99], maximize: true }),
  "clip → adagrad lrDecay, L2, initial accumulator": () =>
    m.chain(
      m.clipByGlobalNorm(0.5),
      m.adagrad({ lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 }),
    ),
  rmsprop: () => m.rmsprop({ lr: 0.003 }),
  "rmsprop centered, momentum, L2, maximize": () =>
    m.rmsprop({ lr: 0.003, centered: true, momentum: 0.9, weightDecay: 0.01, maximize: true }),
  "clip → rmsprop momentum, scheduled lr": () =>
    m.chain(m.clipByGlobalNorm(0.5), m.rmsprop({ lr: cosine, momentum: 0.5 })),
  nadam: () => m.nadam({ lr: 0.01 }),
  "nadamw scheduled β1, maximize; masked": () =>
    m.nadam({
      lr: 0.01,
      weightDecay: 0.1,
      decoupledWeightDecay: true,
      betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
      maximize: true,
      mask: (p) => !p.includes("b"),
    }),
  "radam L2 (steps before and after ρ > 5)": () => m.radam({ lr: 0.01, weightDecay: 0.01 }),
  "clip → radamw maximize": () =>
    m.chain(
      m.clipByGlobalNorm(0.5),
      m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true }),
    ),
  adamax: () => m.adamax({ lr: 0.01 }),
  "adamax L2, maximize, scheduled lr": () => m.adamax({ lr: cosine, weightDecay: 0.01, maximize: true }),
  adadelta: () => m.adadelta({ lr: 1 }),
  lamb: () => m.lamb({ lr: 0.01 }),
  "clip → lamb decay, maximize, no bias correction; masked": () =>
    m.chain(
      m.clipByGlobalNorm(0.5),
      m.lamb({
        lr: 0.01,
        weightDecay: 0.1,
        maximize: true,
        biasCorrection: false,
        mask: (p) => !p.includes("b"),
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
      mask: (p) => !p.includes("k"),
    }),
  "clip → adadelta L2, maximize": () =>
    m.chain(m.clipByGlobalNorm(0.5), m.adadelta({ lr: 1, weightDecay: 0.01, maximize: true })),
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
  /** What ran it (`opsKernel`): "webgpu" or "webgl" (the kind's programs), or "ops". */
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
  /** The recipe's STEPS steps on TF.js's webgpu or webgl backend. */
  run(recipe: string, backend: "webgpu" | "webgl"): Promise<WebGpuRun>;
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
