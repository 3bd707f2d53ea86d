/** What tools/bench/gpu.ts and its page (./main.ts) say to each other. */

/** The MLP 784 → 1024 → 256 → 10's variables: 1,068,810 params. */
export const SHAPES: readonly (readonly number[])[] = [
  [784, 1024],
  [1024],
  [1024, 256],
  [256],
  [256, 10],
  [10],
];
export const PARAMS = SHAPES.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);

export interface GpuRunSpec {
  backend: "webgpu" | "webgl";
  /** Steps timed per round (each round ends by reading one param back: the GPU's work is done). */
  steps: number;
  rounds: number;
}

export interface GpuRunResult {
  backend: string;
  /** What the backend says it runs on (the WebGPU adapter, or the WebGL renderer). */
  device: string;
  /** The path momenta's adapter took ("ops" on a GPU backend). */
  path: string;
  /** ms per step, one entry per round, interleaved: tf.train.adam, then momenta's adamw. */
  tfTrainMs: number[];
  momentaMs: number[];
  /** Tensors alive after each optimizer's timed steps minus before them, over all rounds (0: nothing leaks). */
  tensorGrowth: { tfTrain: number; momenta: number };
}

/** The standalone WebGPU path (momenta-optim/webgpu, no TF.js) on the same shapes. */
export interface StandaloneResult {
  /** The WebGPU adapter. */
  device: string;
  /** ms per step, one entry per round (each round timed to `device.queue.onSubmittedWorkDone()`). */
  ms: number[];
}

export interface GpuHook {
  run(spec: GpuRunSpec): Promise<GpuRunResult>;
  /** AdamW on momenta-optim/webgpu: `rounds` rounds of `steps` steps. */
  standalone(spec: { steps: number; rounds: number }): Promise<StandaloneResult>;
}
