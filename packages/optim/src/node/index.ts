/**
 * momenta-optim/node: what only Node can do — a thread pool on `worker_threads` for the WASM kernels.
 *
 * @module momenta-optim/node
 */

export { type NodeThreadPoolOptions, nodeThreadPool } from "./thread-pool.js";
