// Trees

export { base64ToFloats, floatsToBase64 } from "./base64.ts";
// Clipping
export * from "./clipping/adaptive-grad-clip.ts";
export * from "./clipping/clip-by-block-norm.ts";
// Modern optimizers (Lion, LAMB, Adafactor, Muon, Schedule-Free AdamW) and their pieces
export * from "./clipping/clip-by-block-rms.ts";
export * from "./clipping/clip-by-global-norm.ts";
export * from "./clipping/clip-by-value.ts";
export * from "./create-optimizer.ts";
// Weight decay helpers
export * from "./decay/exclude-bias-and-norm.ts";
export * from "./decay/rescale-weight-decay.ts";
export * from "./hyper.ts";
// Fast kernels
export * from "./kernels/arena.ts";
export type { KernelName } from "./kernels/fused.ts";
export { type ThreadPool, wasmAvailable } from "./kernels/wasm-kernels.ts";
export * from "./optimizers/adadelta.ts";
export * from "./optimizers/adafactor.ts";
export * from "./optimizers/adagrad.ts";
export * from "./optimizers/adam.ts";
export * from "./optimizers/adamax.ts";
export * from "./optimizers/adamw.ts";
// Optimizers
export type { CommonOptions, DecayWith, Optimizer, OptimizerState } from "./optimizers/common.ts";
export * from "./optimizers/lamb.ts";
export * from "./optimizers/lion.ts";
export * from "./optimizers/muon.ts";
export * from "./optimizers/nadam.ts";
export * from "./optimizers/radam.ts";
export * from "./optimizers/rmsprop.ts";
export * from "./optimizers/schedule-free-adamw.ts";
export * from "./optimizers/sgd.ts";
export * from "./optimizers/sgdw.ts";
// Schedules
export type { BaseSchedule } from "./schedules/base.ts";
export * from "./schedules/constant-lr.ts";
export * from "./schedules/cosine-annealing-lr.ts";
export * from "./schedules/cosine-annealing-warm-restarts.ts";
export * from "./schedules/cyclic-lr.ts";
export * from "./schedules/exponential-lr.ts";
export { join } from "./schedules/join.ts";
export * from "./schedules/lambda-lr.ts";
export * from "./schedules/linear-lr.ts";
export { type MultiStepLrOptions, multiStepLr } from "./schedules/multi-step-lr.ts";
export * from "./schedules/one-cycle-lr.ts";
export * from "./schedules/polynomial-lr.ts";
export * from "./schedules/reduce-lr-on-plateau.ts";
export * from "./schedules/sequential-lr.ts";
export * from "./schedules/step-lr.ts";
export * from "./schedules/warmup-cosine-decay.ts";
export * from "./schedules/warmup-stable-decay.ts";
export * from "./state-dict.ts";
// The contract
export * from "./transform.ts";
// Building blocks
export * from "./transforms/add-decayed-weights.ts";
export * from "./transforms/orthogonalize.ts";
export * from "./transforms/scale.ts";
export * from "./transforms/scale-by-adadelta.ts";
export * from "./transforms/scale-by-adam.ts";
export * from "./transforms/scale-by-adamax.ts";
export * from "./transforms/scale-by-factored-rms.ts";
export * from "./transforms/scale-by-learning-rate.ts";
export * from "./transforms/scale-by-lion.ts";
export * from "./transforms/scale-by-muon.ts";
export * from "./transforms/scale-by-nadam.ts";
export * from "./transforms/scale-by-param-block-rms.ts";
export * from "./transforms/scale-by-radam.ts";
export * from "./transforms/scale-by-rms.ts";
export * from "./transforms/scale-by-rss.ts";
export * from "./transforms/scale-by-schedule.ts";
export * from "./transforms/scale-by-trust-ratio.ts";
export * from "./transforms/trace.ts";
export * from "./tree.ts";
// Wrappers
export * from "./wrappers/accumulate-gradients.ts";
export * from "./wrappers/average-params.ts";
export * from "./wrappers/freeze.ts";
export * from "./wrappers/inject-hyperparams.ts";
export * from "./wrappers/lookahead.ts";
export * from "./wrappers/partition.ts";
export * from "./wrappers/schedule-free.ts";
export * from "./wrappers/skip-non-finite.ts";

// Diagnostics

export * from "./diagnostics/finite-difference-hvp.ts";
export * from "./diagnostics/hessian-trace.ts";
export * from "./diagnostics/observe.ts";
export type { Hvp } from "./diagnostics/probes.ts";
export * from "./diagnostics/stats.ts";
export * from "./diagnostics/stats-format.ts";
export * from "./diagnostics/top-eigenvalue.ts";
export * from "./diagnostics/v-scar.ts";
