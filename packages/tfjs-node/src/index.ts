// TF.js in Node for the CLI and the Lab.
export * from "./backend.ts";
export * from "./conv-grad.ts";
