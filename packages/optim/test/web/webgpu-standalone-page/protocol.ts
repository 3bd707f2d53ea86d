/** What test/web/webgpu-standalone.test.ts and its page (./main.ts) share. */

import type { StateDict } from "momenta-optim";
import * as m from "momenta-optim";

/** Leaves of sizes that are multiples of 4 (vec4 lanes) and not, two of them over a norm workgroup's 2048. */
export const SHAPES: Record<string, number[]> = {
  "a/w": [6, 5],
  "a/b": [5],
  "a/k": [4, 3],
  "big/w": [64, 33],
  "big/v": [3, 701],
};
/** The names as the state dict lists them (sorted). */
export const NAMES = Object.keys(SHAPES).sort();
export const STEPS = 30;

export const sizeOf = (n: string) => SHAPES[n]!.reduce((a, b) => a * b, 1);

const cosine = (c: number) => 0.02 * (0.5 + 0.5 * Math.cos(c / 7));

/** The recipes, by name: every kind with a WebGPU program, clipped (every norm type), masked, scheduled. */
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

/** Float32 values, as plain numbers (exact: what a float32 buffer holds). */
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

/** The params before the first step. */
export function startValues(): Record<string, number[]> {
  const next = rng(7);
  return Object.fromEntries(
    NAMES.map((n) => [n, f32(Array.from({ length: sizeOf(n) }, () => 2 * next() - 1))]),
  );
}

/** The gradients of step `t` (from 0), the same in the page and in Node; step 7's are large (clipping bites). */
export function gradsAt(t: number): Record<string, number[]> {
  const next = rng(1000 + t);
  const scale = t === 7 ? 50 : 1;
  return Object.fromEntries(
    NAMES.map((n) => [n, f32(Array.from({ length: sizeOf(n) }, () => scale * (2 * next() - 1)))]),
  );
}

/** The params and state dict at one moment. */
export interface Snapshot {
  params: Record<string, number[]>;
  state: StateDict;
}

/** One step as the page saw it: params and state before, then after (the gradients are gradsAt(step)). */
export interface StepRecord {
  before: Snapshot;
  after: Snapshot;
}

export interface RunResult {
  steps: StepRecord[];
  /** The state dict before any step (the optimizer just made). */
  initial: StateDict;
}

/** A save after ROUND_TRIP_AT steps, loaded into a fresh optimizer; both run ROUND_TRIP_AT more. */
export const ROUND_TRIP_AT = 8;
export interface RoundTrip {
  /** The original's final params and state, and the fresh one's. */
  original: Snapshot;
  resumed: Snapshot;
  resumedStepCount: number;
}

/** One problem tried on an optimizer: what it threw, and whether params and state stayed the same. */
export interface Attempt {
  what: string;
  error: string | undefined;
  unchanged: boolean;
}

export interface BadInputs {
  attempts: Attempt[];
  stepCountAfter: number;
  /** A good step after all the refusals ran (the step count it reached). */
  stepCountAfterGoodStep: number;
}

export interface Growth {
  /** createBuffer / createBindGroup calls during the timed steps (after the warm ones). */
  buffers: number;
  bindGroups: number;
  pipelines: number;
  /** Buffers the optimizer created, and how many of them dispose destroyed. */
  created: number;
  destroyed: number;
}

/** What each refused construction threw. */
export type Refusals = Record<string, string>;

/** The same steps on params and gradients packed into one buffer each (at offsets) and on a buffer each. */
export interface Packed {
  packed: Snapshot;
  separate: Snapshot;
  /** The offsets used (bytes). */
  offsets: number[];
}

export interface StandaloneHook {
  /** `steps` steps of `recipe` both ways. */
  packed(recipe: string, steps: number): Promise<Packed>;
  run(recipe: string): Promise<RunResult>;
  roundTrip(recipe: string): Promise<RoundTrip>;
  /** Loads a core's snapshot (JSON: its params and state dict) and steps once with gradsAt(`t`). */
  fromCore(recipe: string, saved: string, t: number): Promise<Snapshot>;
  badInputs(): Promise<BadInputs>;
  growth(recipe: string): Promise<Growth>;
  refusals(): Promise<Refusals>;
}
