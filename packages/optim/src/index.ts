// Trees

export { base64ToFloats, floatsToBase64 } from "./base64.js";
// Clipping
export * from "./clipping/adaptive-grad-clip.js";
export * from "./clipping/clip-by-block-norm.js";
// Modern optimizers (Lion, LAMB, Adafactor, Muon, Schedule-Free AdamW) and their pieces
export * from "./clipping/clip-by-block-rms.js";
export * from "./clipping/clip-by-global-norm.js";
export * from "./clipping/clip-by-value.js";
export * from "./create-optimizer.js";
// Weight decay helpers
export * from "./decay/exclude-bias-and-norm.js";
export * from "./decay/rescale-weight-decay.js";
export * from "./hyper.js";
// Fast kernels
export * from "./kernels/arena.js";
export type { KernelName } from "./kernels/fused.js";
export {
  kernelModule,
  kernelsFor,
  type ThreadPool,
  type WasmKernels,
  wasmAvailable,
} from "./kernels/wasm-kernels.js";
export * from "./optimizers/adadelta.js";
export * from "./optimizers/adafactor.js";
export * from "./optimizers/adagrad.js";
export * from "./optimizers/adam.js";
export * from "./optimizers/adamax.js";
export * from "./optimizers/adamw.js";
// Optimizers
export type { CommonOptions, DecayWith, Optimizer, OptimizerState } from "./optimizers/common.js";
export * from "./optimizers/lamb.js";
export * from "./optimizers/lion.js";
export * from "./optimizers/muon.js";
export * from "./optimizers/nadam.js";
export * from "./optimizers/radam.js";
export * from "./optimizers/rmsprop.js";
export * from "./optimizers/schedule-free-adamw.js";
export * from "./optimizers/sgd.js";
export * from "./optimizers/sgdw.js";
export * from "./rng.js";
// Schedules
export type { BaseSchedule } from "./schedules/base.js";
export * from "./schedules/constant-lr.js";
export * from "./schedules/cosine-annealing-lr.js";
export * from "./schedules/cosine-annealing-warm-restarts.js";
export * from "./schedules/cyclic-lr.js";
export * from "./schedules/exponential-lr.js";
export { join } from "./schedules/join.js";
export * from "./schedules/lambda-lr.js";
export * from "./schedules/linear-lr.js";
export { type MultiStepLrOptions, multiStepLr } from "./schedules/multi-step-lr.js";
export * from "./schedules/one-cycle-lr.js";
export * from "./schedules/polynomial-lr.js";
export * from "./schedules/reduce-lr-on-plateau.js";
export * from "./schedules/sequential-lr.js";
export * from "./schedules/step-lr.js";
export * from "./schedules/warmup-cosine-decay.js";
export * from "./schedules/warmup-stable-decay.js";
export * from "./state-dict.js";
// The contract
export * from "./transform.js";
// Building blocks
export * from "./transforms/add-decayed-weights.js";
export * from "./transforms/orthogonalize.js";
export * from "./transforms/scale.js";
export * from "./transforms/scale-by-adadelta.js";
export * from "./transforms/scale-by-adam.js";
export * from "./transforms/scale-by-adamax.js";
export * from "./transforms/scale-by-factored-rms.js";
export * from "./transforms/scale-by-learning-rate.js";
export * from "./transforms/scale-by-lion.js";
export * from "./transforms/scale-by-muon.js";
export * from "./transforms/scale-by-nadam.js";
export * from "./transforms/scale-by-param-block-rms.js";
export * from "./transforms/scale-by-radam.js";
export * from "./transforms/scale-by-rms.js";
export * from "./transforms/scale-by-rss.js";
export * from "./transforms/scale-by-schedule.js";
export * from "./transforms/scale-by-trust-ratio.js";
export * from "./transforms/trace.js";
export * from "./tree.js";
// Wrappers
export * from "./wrappers/accumulate-gradients.js";
export * from "./wrappers/average-params.js";
export * from "./wrappers/freeze.js";
export * from "./wrappers/inject-hyperparams.js";
export * from "./wrappers/lookahead.js";
export * from "./wrappers/partition.js";
export * from "./wrappers/schedule-free.js";
export * from "./wrappers/skip-non-finite.js";

// Diagnostics

export * from "./diagnostics/finite-difference-hvp.js";
export * from "./diagnostics/hessian-trace.js";
export * from "./diagnostics/observe.js";
export type { Hvp } from "./diagnostics/probes.js";
export * from "./diagnostics/stats.js";
export * from "./diagnostics/stats-format.js";
export * from "./diagnostics/top-eigenvalue.js";
export * from "./diagnostics/v-scar.js";
