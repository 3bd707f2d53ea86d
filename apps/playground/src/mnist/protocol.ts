/** What the MNIST page exposes as `window.__mnist` (for its Chromium test and the curious). */
import type { StateDict } from "momenta-optim";
import type { MomentaOptimizer } from "momenta-optim/tfjs";

/** What ran an update on tfjsOptimizer's ops path: the kind's own GPU programs, or TF.js's ops. */
export type OpsKernel = MomentaOptimizer["opsKernel"];

export type MnistStatus = "loading" | "ready" | "training" | "done" | "error";

/** A tensor's float32 values as base64 (momenta-optim's floatsToBase64), by variable name. */
export type Floats = Record<string, string>;

/** The variables and the optimizer's state at one moment of a run. */
export interface Values {
  params: Floats;
  /** The optimizer's saved state (getWeights' state words, decoded); undefined before the first step. */
  state: StateDict | undefined;
}

/** One update as the page made it: the values before, the gradients it was fed, the values after. */
export interface StepRecord {
  /** Updates made before this one (0 for the first). */
  step: number;
  /** What ran it (see OpsKernel). */
  kernel: OpsKernel;
  before: Values;
  grads: Floats;
  after: Values;
}

export interface MnistRun {
  /** TF.js's backend: "webgpu", else "webgl" (or "cpu" where neither starts). */
  backend: string;
  /** tfjsOptimizer's path ("ops" on the GPU backends) and what ran the last step. */
  path: "ops" | "arrays" | undefined;
  opsKernel: OpsKernel;
  steps: number;
  epochs: number;
  trainSize: number;
  testSize: number;
  /** The training loss of every update, in order. */
  losses: number[];
  /** Held-out accuracy after each epoch, in [0, 1]. */
  accuracies: number[];
  seconds: number;
  /** The variables' shapes, by name. */
  shapes: Record<string, number[]>;
  /** How many steps were recorded (read them with `stepRecord`). */
  recorded: number;
  /** Tensors alive after the run (model, data and optimizer disposed) minus before it. */
  leaked: number;
}

export interface MnistHook {
  status(): MnistStatus;
  /** The updates the next run records (by index), for the test's replay through the core. */
  record(steps: readonly number[]): void;
  /** The last run, once it is done. */
  result(): MnistRun | undefined;
  /** The last run's i-th recorded step. */
  stepRecord(i: number): StepRecord;
}
