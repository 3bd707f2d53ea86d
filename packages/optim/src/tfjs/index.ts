/**
 * momenta-optim/tfjs: momenta transforms as TensorFlow.js optimizers (`model.compile({ optimizer })`,
 * saved and loaded with the model). Needs `@tensorflow/tfjs-core` ≥ 4 (an optional peer dependency).
 *
 * @module momenta-optim/tfjs
 */

export {
  MomentaOptimizer,
  stateFromWords,
  type TfjsOptimizerOptions,
  type TfjsPath,
  tfjsOptimizer,
} from "./optimizer.js";
