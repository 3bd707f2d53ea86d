/** Loading the WebAssembly kernels and binding them to an arena's memory. */
import { base64ToBytes } from "../base64.js";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels.generated.js";

export interface WasmKernels {
  adam(...args: number[]): void;
  sgd(...args: number[]): void;
  rmsprop(...args: number[]): void;
  adagrad(...args: number[]): void;
  lion(...args: number[]): void;
  sumsq(g: number, n: number): number;
  stream7(p: number, g: number, m: number, v: number, n: number): void;
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, WasmKernels>();

/** True when this runtime runs WebAssembly SIMD with shared memories. */
export function wasmAvailable(): boolean {
  try {
    kernelModule();
    return true;
  } catch {
    return false;
  }
}

/** The compiled module (synchronous compile: it is ~1.5 KB). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(base64ToBytes(KERNELS_WASM_BASE64));
  return compiled;
}

export function kernelsFor(memory: WebAssembly.Memory): WasmKernels {
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports as unknown as WasmKernels;
    instances.set(memory, k);
  }
  return k;
}

/**
 * Worker threads that run kernels on slices of one shared memory, synchronously: `run` returns when
 * every slice is done (the calling thread takes the first slice itself). Made by a platform module
 * (`momenta/node` for Node's worker_threads).
 */
export interface ThreadPool {
  /** Threads in all, the calling one included. */
  readonly size: number;
  /** Below this many elements per thread, splitting a call does not pay; it runs on one thread. */
  readonly minPerThread: number;
  /** Runs `calls[i]` on thread i (calls.length ≤ size); returns each call's numeric result (or 0). */
  run(memory: WebAssembly.Memory, name: keyof WasmKernels, calls: readonly (readonly number[])[]): number[];
  close(): void;
}
