/**
 * momenta-optim/webgpu: momenta's optimizers on params held in `GPUBuffer`s, for WebGPU code of your
 * own (no TF.js): one compute pass a step, the state in buffers the optimizer owns, the library's
 * state dict read back asynchronously. No dependency: the WebGPU objects are typed structurally
 * (a `GPUDevice` and `GPUBuffer` of TypeScript's DOM lib or @webgpu/types fit).
 *
 * @module momenta-optim/webgpu
 */

export {
  type WebGpuGrad,
  type WebGpuGradRegion,
  type WebGpuOptimizer,
  type WebGpuOptimizerOptions,
  type WebGpuParam,
  webgpuOptimizer,
} from "./optimizer.js";
export type { WebGpuBuffer, WebGpuDevice, WebGpuLimits, WebGpuQueue } from "./types.js";
