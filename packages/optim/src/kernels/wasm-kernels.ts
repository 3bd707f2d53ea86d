/** Loading the WebAssembly kernels and binding them to an arena's memory. */
import { base64ToBytes } from "../base64.js";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels.generated.js";

/**
 * The float64 update kernels (f64x2 lanes), `<kind>64` for every kind whose module declares
 * `float64: true` (the compiler checks this list against the registry: `kernels/fused.ts`).
 */
export type Float64KernelName =
  | "adam64"
  | "sgd64"
  | "lion64"
  | "adagrad64"
  | "adamax64"
  | "nadam64"
  | "radam64"
  | "adadelta64"
  | "lamb64"
  | "scheduleFreeAdamw64"
  | "rmsprop64";

/**
 * The update kernels of bfloat16 moments, `<kind>Bf16` for every kind whose module declares one
 * (`bfloat16.wasm`; checked against the registry in `kernels/fused.ts`): float32 params and
 * gradient, the moments' bits at 2 bytes an element; the kind's pointers and `n`, then its bfloat16
 * parameter list.
 */
export type Bfloat16KernelName =
  | "adamBf16"
  | "sgdBf16"
  | "lionBf16"
  | "adagradBf16"
  | "rmspropBf16"
  | "lambBf16";

/**
 * The update kernels of 8-bit moments, `<kind>Int8` for every kind whose module declares one
 * (`int8.wasm`; checked against the registry in `kernels/fused.ts`): float32 params and gradient,
 * each moment's codes (a byte an element) and block scales (a float32 per 256), n (from a block's
 * start within its leaf), then its parameter list, the tables' offset last.
 */
export type Int8KernelName = "adamInt8";

/**
 * The WebAssembly SIMD kernels, instantiated on one memory (see `kernelsFor`). Pointers are byte
 * offsets into that memory and `n` counts elements (float32: a multiple of 4; float64, the `…64`
 * kernels: of 2 — arenas pad every leaf to 16 bytes). The update kernels take the offsets of params,
 * gradient and their state buffers, `n`, then their scalars and flags, in the order of their kind's
 * parameter list (`kernels/kinds/<kind>.ts`, from which the WAT signature is generated). One member
 * per kind with a WASM kernel: the registry's `WASM_KINDS` must be keys of `WasmKernels32` (the
 * thread pool's name list fails to compile otherwise).
 */
export type WasmKernels = WasmKernels32 & {
  /** The float64 kernels: the same arguments as the kind's, over float64 elements. */
  readonly [K in Float64KernelName]: (...args: number[]) => void;
} & {
  /** The bfloat16-moment kernels (see `Bfloat16KernelName`). */
  readonly [K in Bfloat16KernelName]: (...args: number[]) => void;
} & {
  /** The 8-bit-moment kernels (see `Int8KernelName`). */
  readonly [K in Int8KernelName]: (...args: number[]) => void;
} & {
  /** Σ g² over [g, g + 8n) of float64 elements, as `sumsq`. */
  sumsq64(g: number, n: number): number;
  /** `sumsqBlocks` over float64 elements. */
  sumsqBlocks64(g: number, n: number, block: number, out: number): void;
  /** `average` over float64 elements, in float64. */
  average64(a: number, p: number, n: number, d: number, c: number): void;
  /** `lambApply` over float64 elements. */
  lambApply64(p: number, g: number, n: number, ratio: number, nlr: number, scaled: number): void;
};

/** The float32 kernels (see `WasmKernels`). */
export interface WasmKernels32 {
  /** The fused Adam/AdamW step (params, gradient, m, v, AMSGrad's max; then n, scalars, flags). */
  adam(...args: number[]): void;
  /** The fused SGD/SGDW step (params, gradient, momentum buffer; then n, scalars, flags). */
  sgd(...args: number[]): void;
  /** The fused RMSprop step (params, gradient, square average, gradient average, momentum buffer; then n, scalars, flags). */
  rmsprop(...args: number[]): void;
  /** The fused Adagrad step (params, gradient, sum of squares; then n, scalars, flags). */
  adagrad(...args: number[]): void;
  /** The fused Lion step (params, gradient, momentum; then n, scalars, flags). */
  lion(...args: number[]): void;
  /** The fused Adamax step (params, gradient, m, infinity norm; then n, scalars, flags). */
  adamax(...args: number[]): void;
  /** The fused NAdam step (params, gradient, m, v; then n, scalars, flags). */
  nadam(...args: number[]): void;
  /** The fused RAdam step (params, gradient, m, v; then n, scalars, flags). */
  radam(...args: number[]): void;
  /** The fused Adadelta step (params, gradient, square average, delta average; then n, scalars, flags). */
  adadelta(...args: number[]): void;
  /** The fused Schedule-Free AdamW step (params, gradient, v, z, x; then n, scalars, flags). */
  scheduleFreeAdamw(...args: number[]): void;
  /** LAMB's first pass (params, gradient ← direction, m, v; then n, scalars, flags): see `lambApply`. */
  lamb(...args: number[]): void;
  /** LAMB's second pass: p ← p + (g·ratio when `scaled`, else g)·nlr over [0, n). */
  lambApply(p: number, g: number, n: number, ratio: number, nlr: number, scaled: number): void;
  /** Σ g² over [g, g + 4n), accumulated in float64 (the global norm of clipping). */
  sumsq(g: number, n: number): number;
  /**
   * Σ g² of each `block`-element block over [g, g + 4n), as `sumsq` sums it, stored as float64 at
   * byte offset `out` + 8·b (a norm whose sum order does not depend on the threads).
   */
  sumsqBlocks(g: number, n: number, block: number, out: number): void;
  /** `ema`/`polyak`'s average: a ← d·a + c·p over [0, n) at byte offsets a and p, in float32. */
  average(a: number, p: number, n: number, d: number, c: number): void;
  /** L-BFGS: a·b over n float32 elements at byte offsets a and b, summed in float64 as `dot` in `transforms/strong-wolfe.ts` sums it. */
  dot32(a: number, b: number, n: number): number;
  /** `dot32` over float64 elements. */
  dot64(a: number, b: number, n: number): number;
  /** L-BFGS: x ← x + a·y over n float32 elements, computed in float64 and rounded once. */
  axpy32(x: number, a: number, y: number, n: number): void;
  /** `axpy32` over float64 elements. */
  axpy64(x: number, a: number, y: number, n: number): void;
  /** L-BFGS: out ← c·x over n float32 elements, computed in float64 and rounded once (out may be x). */
  scale32(out: number, x: number, c: number, n: number): void;
  /** `scale32` over float64 elements. */
  scale64(out: number, x: number, c: number, n: number): void;
  /** The memory-bandwidth probe: AdamW's access pattern (read p, g, m, v; write p, m, v) with no arithmetic. */
  stream7(p: number, g: number, m: number, v: number, n: number): void;
}

let compiled: WebAssembly.Module | undefined;
let compiledLocal: WebAssembly.Module | undefined;
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
  // A fresh Uint8Array owns a plain ArrayBuffer; the cast says so (declarations stay TS 5.0-compatible).
  compiled ??= new WebAssembly.Module(base64ToBytes(KERNELS_WASM_BASE64) as Uint8Array<ArrayBuffer>);
  return compiled;
}

/**
 * The same module importing a memory that is not shared (an arena of one thread: its copies to and
 * from ordinary arrays run at memcpy speed, which shared memories' relaxed atomic copies do not).
 * The import's limits flag 0x03 (shared, with a maximum) becomes 0x01 (with a maximum).
 */
function localModule(): WebAssembly.Module {
  if (!compiledLocal) {
    const bytes = base64ToBytes(KERNELS_WASM_BASE64);
    // "env" "memory", import kind memory, then the limits' flags.
    const pattern = [3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 3];
    const at = bytes.findIndex((_, i) => pattern.every((b, k) => bytes[i + k] === b));
    if (at < 0) throw new Error("wasm kernels: the shared memory import was not found");
    bytes[at + pattern.length - 1] = 1;
    compiledLocal = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  }
  return compiledLocal;
}

/**
 * The kernels instantiated on `memory` (one instance per memory, cached): what a thread pool runs on
 * each thread, and what a benchmark calls directly.
 */
export function kernelsFor(memory: WebAssembly.Memory): WasmKernels {
  let k = instances.get(memory);
  if (!k) {
    const module =
      typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer
        ? kernelModule()
        : localModule();
    k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmKernels;
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
  /**
   * Optional: like `run`, but the calling thread runs `alongside()` instead of a kernel call while
   * the workers run `calls[i]` on worker i (calls.length ≤ size − 1); returns when both are done.
   * The staged step (plain arrays) uses it to copy blocks in and out while the workers update.
   */
  runAlongside?(
    memory: WebAssembly.Memory,
    name: keyof WasmKernels,
    calls: readonly (readonly number[])[],
    alongside: () => void,
  ): void;
  /**
   * Optional: forgets `memory` (the threads drop what they keep for it; a later `run` on it
   * attaches it again). `dispose()` of an optimizer on the pool calls it, so a long-lived pool
   * does not keep every disposed optimizer's memory alive.
   */
  release?(memory: WebAssembly.Memory): void;
  /** Stops the worker threads; the pool cannot run anything afterwards. */
  close(): void;
}
