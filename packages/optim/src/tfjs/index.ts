// momenta/tfjs: momenta transforms as TensorFlow.js optimizers.
export * from "./optimizer.js";
