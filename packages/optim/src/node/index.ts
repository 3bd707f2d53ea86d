// momenta/node: what only Node can do.
export * from "./thread-pool.js";
