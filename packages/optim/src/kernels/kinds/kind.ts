/**
 * What a fused kind is: everything the fast paths know about one optimizer family (adam, sgd, …),
 * stated once in its own module under `kernels/kinds/` — the state buffers it keeps, the per-step
 * scalars it evaluates from its fusion spec, its JS loops, and the WASM kernel's parameter list with
 * the packer that fills it. The registry (`kinds/index.ts`) is typed `{ [K in Kind]: FusedKind<K> }`,
 * so a new `kind` in `FusionSpec` fails to compile until it has a module, and every backend field of
 * a module is required: an implementation, or `{ unsupported: "why" }`. TF.js's ops expressions live
 * on the tfjs side (`tfjs/kinds.ts`), in a table typed the same way.
 *
 * The functions that take a kind's scalars are declared as methods, so a module's precise types
 * (`AdamScalars`…) fit the registry's erased `FusedKind<Kind, Scalars, BufferSpec>`.
 */
import type { Hyper } from "../../hyper.js";
import type { FusionSpec } from "../../optimizers/fusion.js";
import type { FloatArray } from "../../tree.js";

/** Every kind an optimizer alias's fusion spec may carry. */
export type Kind = FusionSpec["kind"];

/** The fusion spec of one kind. */
export type SpecOf<K extends Kind> = Extract<FusionSpec, { kind: K }>;

/** A backend's explicit refusal of a kind, and why (the reason a forced kernel reports). */
export interface Unsupported {
  readonly unsupported: string;
}

/** Whether a backend declaration is a refusal. */
export function isUnsupported<T extends object>(b: T | Unsupported): b is Unsupported {
  return "unsupported" in b;
}

/** Scalars every kind takes: u ← round(g·coef) (clip and maximize folded in), L2, decay, lr. */
export interface Scalars {
  /** The clip factor (1 without clipping). */
  coef: number;
  /** Maximize: the gradient's sign flipped. */
  negate: boolean;
  /** L2 (coupled decay) for the leaves being run (0 where masked off). */
  l2: number;
  /** Decoupled decay for the leaves being run (0 where masked off). */
  wd: number;
  lr: number;
  /**
   * An `ema`/`polyak` average the WASM kernel updates in the same pass (on: a ← d·a + c·p after p is
   * written, `at` the byte offset of the chunk's first element). The JS kernels leave it to the
   * caller.
   */
  average: { on: boolean; at: number; d: number; c: number };
  /**
   * Moments stored as bfloat16 or int8 (`stateDtype`): the index within its leaf of the first element
   * a call runs, and the rounding key of each buffer of the kind's `buffers`, in their order
   * (`momentKey(seed, step, leaf, k)`, as the transform's `blockwise` draws them). Set per call by
   * the dispatcher; unused on float state. int8: `tables`, the byte offset of the codes' tables in
   * the kernel's memory.
   */
  rounding: { first: number; keys: number[]; tables: number };
}

/** Fresh common scalars (a kind's `scalars()` spreads them). */
export function commonScalars(): Scalars {
  return {
    coef: 1,
    negate: false,
    l2: 0,
    wd: 0,
    lr: 0,
    average: { on: false, at: 0, d: 0, c: 0 },
    rounding: { first: 0, keys: [0, 0, 0, 0], tables: 0 },
  };
}

/**
 * The state buffers a kind keeps, by their key in the alias's state objects: "always", or
 * "optional" (only some configurations have it: AMSGrad's maximum, momentum, the centered average).
 * The key order is the order of the WASM kernel's pointer parameters (after params and gradient).
 */
export type BufferSpec = Readonly<Record<string, "always" | "optional">>;

/** One work item's buffers (views of the same elements as its params). */
export type Buffers<D extends BufferSpec> = {
  readonly [N in keyof D]: D[N] extends "always" ? FloatArray : FloatArray | undefined;
};

/** What `resolve` reads the step from: the alias state's first count, and the state object holding each buffer. */
export interface StepState {
  /** The count the alias's schedules are read at (its first state's). */
  readonly count: number;
  /** The state object each buffer was found in (e.g. `momentumBuffer`'s, whose count is momentum's own). */
  readonly holders: Readonly<Record<string, { count: number } | undefined>>;
}

/** The JS backend of a kind: one pass over elements [from, to) of one work item. */
export interface JsKernel<S extends Scalars, D extends BufferSpec> {
  run(p: FloatArray, g: FloatArray, b: Buffers<D>, from: number, to: number, s: S): void;
}

/** One parameter of a WASM kernel after its pointers and `n`: its name in the WAT, its type, its value. */
export interface WasmParam<S extends Scalars> {
  readonly name: string;
  readonly type: "f32" | "f64" | "i32";
  value(s: S): number;
}

/** An f32 parameter (splatted to a vector `$S<name>` before the loop). */
export function f32<S extends Scalars>(name: string, value: (s: S) => number): WasmParam<S> {
  return { name, type: "f32", value };
}

/** An f64 parameter (splatted to an f64x2 vector `$S<name>` before the loop). */
export function f64<S extends Scalars>(name: string, value: (s: S) => number): WasmParam<S> {
  return { name, type: "f64", value };
}

/** An i32 parameter (an index, a key: passed as is, a uint32 wrapping to the same bits). */
export function int32<S extends Scalars>(name: string, value: (s: S) => number): WasmParam<S> {
  return { name, type: "i32", value };
}

/** An i32 flag (true → 1). */
export function flag<S extends Scalars>(name: string, value: (s: S) => boolean): WasmParam<S> {
  return { name, type: "i32", value: (s) => (value(s) ? 1 : 0) };
}

/**
 * The WASM backend of a kind. The kernel's signature is (param $p i32) (param $g i32), one i32
 * pointer per buffer of `buffers` (named after it), (param $n i32), then `params` in order: the
 * WAT's `(param …)` list is generated from this list (`wasm/kernels.wat.ts`) and the arguments are
 * packed from it (`fused.ts`), so the two cannot disagree.
 */
export interface WasmKernel<S extends Scalars> {
  readonly params: readonly WasmParam<S>[];
  /**
   * Whether the kernel also runs float64 params (f64x2 lanes, exported as `<kind>64`, generated
   * from the same body): `true`, or why not.
   */
  readonly float64: true | Unsupported;
}

/** One work item's buffers when the moments are stored as bfloat16 (their bits, `Uint16Array`). */
export type WordBuffers<D extends BufferSpec> = {
  readonly [N in keyof D]: D[N] extends "always" ? Uint16Array : Uint16Array | undefined;
};

/**
 * The fast paths of a kind whose moments are stored as bfloat16 (`stateDtype: "bfloat16"`): the same
 * update, reading each moment's bits and writing them back with the transform's stochastic rounding
 * (`s.rounding`: the same random bits for the same element, step and seed). The JS loop is
 * bit-identical to the reference chain; the WASM kernel (float32 params only, exported as
 * `<kind>Bf16`, moments at 2 bytes an element) computes the moments as the chain does, in float64
 * lanes, so it stores the same bits, and the update in float32, as the kind's own kernel.
 */
export interface Bfloat16Kernels<S extends Scalars, D extends BufferSpec> {
  readonly js: { run(p: FloatArray, g: FloatArray, b: WordBuffers<D>, from: number, to: number, s: S): void };
  readonly wasm: { readonly params: readonly WasmParam<S>[] } | Unsupported;
}

/**
 * The fast path of a kind whose moments are stored in 8 bits (`stateDtype: "int8"`): a WASM kernel
 * (float32 params, exported `<kind>Int8`) that runs each 256-element block of a leaf as the chain's
 * `blockwise` step does — the block's new moments for their absmax, then each one encoded with the
 * chain's stochastic rounding, read back, and the update computed from what was stored — in scalar
 * float64, so params and state are the chain's bit for bit. Its signature: params, gradient, then
 * per buffer its codes' and its scales' pointers (`<name>Codes`, `<name>Scales`), n, then `params`.
 * No JS loop: the JS path is the chain, whose time is the encoding a JS loop would keep.
 */
export interface Int8Kernel<S extends Scalars> {
  readonly wasm: { readonly params: readonly WasmParam<S>[] };
}

/**
 * The GPU backend of a kind: its element math in WGSL (float32), from which the TF.js webgpu path
 * builds one program per buffer and one for the params (`tfjs/gpu.ts`). In the expressions, `u` is
 * the gradient after clip, maximize and L2; a buffer's name its old value, `new_<name>` the new value
 * of a buffer before it in `buffers`' order (each program runs after those); `uniforms.<name>` the
 * step's scalars listed in `uniforms`. The text may depend on the step's flags (AMSGrad). The same
 * text runs as WGSL (webgpu) and as GLSL (webgl), on single floats or on 4 lanes, so it keeps to
 * what all four read alike: + − * /, parentheses, decimal literals, `sqrt`, `abs`, `sign`, `max`,
 * and the helpers every program defines (`gpu-vocabulary.ts`) — `V(x)` (a scalar as the lanes' type), `sel(f, t, c)` (t
 * where c holds, else f), `gt(a, b)`, `both(c, d)`, `isNan(x)`, `isInf(x)`, `finite(x)` (no `>`,
 * `&&` or `?:`: GLSL compares vectors only through functions, WGSL has no `?:`).
 */
export type GpuKernel<S extends Scalars> = {
  /** The step's scalars the expressions read (f32). */
  readonly uniforms: readonly WasmParam<S>[];
  /** Each present buffer's new value, by name (in the kind's `buffers` order). */
  buffers(s: S): Readonly<Record<string, string>>;
} & (
  | {
      /** The update before decay and lr, from the buffers' new values. */
      direction(s: S): string;
      /**
       * Optional: the update (direction + wd·p) is scaled by ‖p‖/‖update‖ over the variable (1 when
       * a norm is 0) before −lr: LAMB's trust ratio (a reduction between the programs).
       */
      readonly trustRatio?: true;
      readonly value?: never;
    }
  | {
      /**
       * The variable's new value, when it is not p + (direction + wd·p)·(−lr): the kind applies
       * decay and lr itself (`uniforms.wd`, `uniforms.nlr` = −lr; `p` is the old value, readable in
       * the buffers' expressions too; `s.wd` is the variable's). Schedule-Free's y from z and x.
       */
      value(s: S): string;
      readonly direction?: never;
      readonly trustRatio?: never;
    }
);

/** One fused kind: see the module comment. */
export interface FusedKind<K extends Kind, S extends Scalars, D extends BufferSpec> {
  readonly kind: K;
  readonly buffers: D;
  /**
   * Optional: the kernels must see one leaf per call (its update depends on the whole leaf: LAMB's
   * trust ratio), packed params included.
   */
  readonly leafwise?: true;
  /** A fresh scalars object (one per optimizer, refilled every step: a step allocates nothing). */
  scalars(): S;
  /**
   * Evaluates the kind's own hyperparameters for this step into `s` (lr, L2 and decay are done by
   * the caller), range-checking each schedule's value as the reference chain's links do.
   */
  resolve(spec: SpecOf<K>, s: S, at: StepState): void;
  /**
   * Optional: after a step, what the kind's state carries besides its counts (NAdam's μ product),
   * from the scalars `resolve` computed.
   */
  commit?(s: S, at: StepState): void;
  /** The kind's own hyperparameters (after lr and weightDecay) under injectHyperparams' names, for `observe`. */
  hyperparams(spec: SpecOf<K>): readonly (readonly [string, Hyper])[];
  readonly js: JsKernel<S, D> | Unsupported;
  readonly wasm: WasmKernel<S> | Unsupported;
  /** Moments stored as bfloat16 (`stateDtype`): its fast paths, or why the reference chain runs it. */
  readonly bfloat16: Bfloat16Kernels<S, D> | Unsupported;
  /** Moments stored in 8 bits (`stateDtype`): its WASM kernel, or why the reference chain runs it. */
  readonly int8: Int8Kernel<S> | Unsupported;
  /** On the GPU (WGSL), or why the TF.js ops run it there. */
  readonly gpu: GpuKernel<S> | Unsupported;
}

/** A kind with its types erased: what the dispatchers hold. */
export type AnyKind = FusedKind<Kind, Scalars, BufferSpec>;
