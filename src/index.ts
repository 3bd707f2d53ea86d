// Trees

export { base64ToFloats, floatsToBase64 } from "./base64.ts";
export * from "./create-optimizer.ts";
export * from "./hyper.ts";
export * from "./optimizers/adadelta.ts";
export * from "./optimizers/adagrad.ts";
export * from "./optimizers/adam.ts";
export * from "./optimizers/adamax.ts";
export * from "./optimizers/adamw.ts";
// Optimizers
export type { CommonOptions, Optimizer, OptimizerState } from "./optimizers/common.ts";
export * from "./optimizers/nadam.ts";
export * from "./optimizers/radam.ts";
export * from "./optimizers/rmsprop.ts";
export * from "./optimizers/sgd.ts";
export * from "./optimizers/sgdw.ts";
export * from "./state-dict.ts";
// The contract
export * from "./transform.ts";
// Building blocks
export * from "./transforms/add-decayed-weights.ts";
export * from "./transforms/scale.ts";
export * from "./transforms/scale-by-adadelta.ts";
export * from "./transforms/scale-by-adam.ts";
export * from "./transforms/scale-by-adamax.ts";
export * from "./transforms/scale-by-learning-rate.ts";
export * from "./transforms/scale-by-nadam.ts";
export * from "./transforms/scale-by-radam.ts";
export * from "./transforms/scale-by-rms.ts";
export * from "./transforms/scale-by-rss.ts";
export * from "./transforms/trace.ts";
export * from "./tree.ts";
