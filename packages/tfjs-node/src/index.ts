// @momenta/tfjs-node: TF.js in Node for the CLI and the Lab.

export { BACKENDS, type BackendName, registerGradients, useBackend } from "./backend.ts";
export { conv2dFilterGradient, registerConvFilterGradient } from "./conv-grad.ts";
