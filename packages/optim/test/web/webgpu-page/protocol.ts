/** What test/web/tfjs-webgpu.test.ts and its page (./main.ts) share. */
import * as m from "momenta-optim";
import { rng } from "../gpu-recipes.ts";

export { RECIPES, rng } from "../gpu-recipes.ts";

export const NAMES = ["gpu/b", "gpu/k", "gpu/w"];
export const SHAPES: Record<string, number[]> = { "gpu/w": [6, 5], "gpu/b": [5], "gpu/k": [4, 3] };
export const STEPS = 50;

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
