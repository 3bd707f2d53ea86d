/**
 * What test/web/tfjs-webgl.test.ts and its page (./main.ts) share: the model's shapes, the recipes
 * (by name, since functions cannot cross `page.evaluate`), the seeded problem, and the messages.
 */
import * as m from "momenta-optim";

export const STEPS = 24;
export const BATCH = 32;
export const INPUTS = 12;
export const HIDDEN = 16;
export const OUTPUTS = 8;

/** Two dense layers; masks select by these names (excludeBiasAndNorm leaves the biases alone). */
export const SHAPES: Record<string, number[]> = {
  "dense_1/kernel": [INPUTS, HIDDEN],
  "dense_1/bias": [HIDDEN],
  "dense_2/kernel": [HIDDEN, OUTPUTS],
  "dense_2/bias": [OUTPUTS],
};
/** The variables in the order momenta visits them (sorted names), as the optimizer binds them. */
export const NAMES = Object.keys(SHAPES).sort();

const schedule = () => m.warmupCosineDecay({ peak: 0.02, warmupSteps: 5, decaySteps: STEPS });

/** The recipes the page trains, with the path `auto` must pick for each on webgl. */
export const RECIPES: Record<string, { tx: () => m.AnyTransformation; path: "ops" | "arrays" }> = {
  adamw: { tx: () => m.adamw({ lr: 0.01, weightDecay: 0.1 }), path: "ops" },
  "sgd nesterov": {
    tx: () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    path: "ops",
  },
  "rmsprop centered": { tx: () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }), path: "ops" },
  adagrad: { tx: () => m.adagrad({ lr: 0.1, weightDecay: 0.01 }), path: "ops" },
  lion: { tx: () => m.lion({ lr: 2e-3, weightDecay: 0.5 }), path: "ops" },
  "clip + adamw (mask, schedule)": {
    tx: () =>
      m.chain(
        m.clipByGlobalNorm(0.1),
        m.adamw({ lr: schedule(), weightDecay: 0.05, mask: m.excludeBiasAndNorm }),
      ),
    path: "ops",
  },
  "adam amsgrad L2": { tx: () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.01 }), path: "ops" },
  "nadamw (scheduled β1)": {
    tx: () =>
      m.nadam({
        lr: 0.01,
        weightDecay: 0.1,
        decoupledWeightDecay: true,
        betas: [(c) => 0.9 - 0.05 * (c % 2), 0.999],
      }),
    path: "ops",
  },
  "radam L2": { tx: () => m.radam({ lr: 0.01, weightDecay: 0.01 }), path: "ops" },
  "clip + adamax": { tx: () => m.chain(m.clipByGlobalNorm(0.1), m.adamax({ lr: 0.01 })), path: "ops" },
  "adadelta L2": { tx: () => m.adadelta({ lr: 1, weightDecay: 0.01 }), path: "ops" },
  "lamb decay": { tx: () => m.lamb({ lr: 0.01, weightDecay: 0.01 }), path: "ops" },
  "schedule-free adamw (warmup)": {
    tx: () => m.scheduleFreeAdamw({ lr: 0.01, warmupSteps: 4 }),
    path: "ops",
  },
  // no fused form: auto keeps it on the arrays path (read back, `assign`ed) on webgl too
  adafactor: { tx: () => m.adafactor({ lr: 0.01 }), path: "arrays" },
};

export interface Problem {
  /** Initial values per variable name. */
  init: Record<string, number[]>;
  x: number[];
  y: number[];
}

/** Seeded float32 values (mulberry32, uniform): the same numbers on both sides of the wire. */
export function problem(seed: number): Problem {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (n: number, scale: number) =>
    Array.from({ length: n }, () => Math.fround((2 * next() - 1) * scale));
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const init: Record<string, number[]> = {};
  for (const n of NAMES) {
    const shape = SHAPES[n]!;
    init[n] = uniform(size(shape), shape.length > 1 ? 1 / Math.sqrt(shape[0]!) : 0.1);
  }
  return { init, x: uniform(BATCH * INPUTS, 1), y: uniform(BATCH * OUTPUTS, 1) };
}

export interface RunSpec extends Problem {
  recipe: string;
  steps: number;
  /** Also save the params and optimizer weights after this many steps. */
  saveAt?: number;
}

export interface SavedWeight {
  name: string;
  dtype: string;
  shape: number[];
  values: number[];
}

export interface Snapshot {
  /** Per variable name. */
  params: Record<string, number[]>;
  /** `optimizer.getWeights()`: the iteration count, then the state dict as int32 words. */
  weights: SavedWeight[];
}

export interface RunResult {
  backend: string;
  path: string | undefined;
  /** On the ops path, what ran the last step (`opsKernel`): the kind's GLSL programs ("webgl") or TF.js's ops. */
  kernel: string | undefined;
  /** The gradients each step applied, per variable name (float32 values, read before the step). */
  grads: Record<string, number[]>[];
  losses: number[];
  /** `tf.memory().numTensors` after each step (its gradients disposed). */
  numTensors: number[];
  /** Tensors left when the run had disposed everything, and before it started. */
  tensorsBefore: number;
  tensorsAfter: number;
  /** Backend reads (readSync/read) during `applyGradients` calls, summed over the steps. */
  readsInSteps: number;
  /** Whether every variable and slot lived in a webgl texture after the last step. */
  onGpu: boolean;
  /** The slot variables' names after the last step (the ops path's moments). */
  slots: string[];
  saved?: Snapshot;
  final: Snapshot;
  flags: Record<string, boolean | number>;
}

export interface GlInfo {
  ok: boolean;
  error?: string;
  renderer?: string;
  version?: string;
  flags?: Record<string, boolean | number>;
}

export interface Hook {
  /** Sets TF.js flags (once, on a fresh page), starts the webgl backend, tells what the browser offers. */
  init(flags: Record<string, boolean | number>): Promise<GlInfo>;
  run(spec: RunSpec): Promise<RunResult>;
}
