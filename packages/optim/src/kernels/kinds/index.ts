/**
 * The registry of fused kinds: one module per kind (`kinds/<kind>.ts`), keyed by the `kind` of its
 * fusion spec. Typed `{ [K in Kind]: FusedKind<K, …> }`: a kind added to `FusionSpec` fails to
 * compile here until it has a module, and a module fails until it declares every backend (an
 * implementation, or `{ unsupported: "why" }`). Everything that dispatches on a kind — the fused
 * step, the WASM argument packer, the WAT generator, the thread pool's kernel names, TF.js's ops
 * table, `observe` — reads it from here, by key (no fall-through branch runs one kind as another).
 */
import { adadelta } from "./adadelta.js";
import { adagrad } from "./adagrad.js";
import { adam } from "./adam.js";
import { adamax } from "./adamax.js";
import {
  type AnyKind,
  type BufferSpec,
  type FusedKind,
  isUnsupported,
  type Kind,
  type Scalars,
} from "./kind.js";
import { lamb } from "./lamb.js";
import { lion } from "./lion.js";
import { nadam } from "./nadam.js";
import { radam } from "./radam.js";
import { rmsprop } from "./rmsprop.js";
import { scheduleFreeAdamw } from "./schedule-free-adamw.js";
import { sgd } from "./sgd.js";

export const KINDS = {
  adam,
  sgd,
  rmsprop,
  lion,
  adagrad,
  adamax,
  nadam,
  radam,
  adadelta,
  lamb,
  scheduleFreeAdamw,
} satisfies {
  [K in Kind]: FusedKind<K, Scalars, BufferSpec>;
};

/** The module of a kind, its types erased (what the dispatchers hold). */
export function kindOf(kind: Kind): AnyKind {
  return KINDS[kind];
}

/** The scalars object of a kind (its module's `scalars()`). */
export type ScalarsOf<K extends Kind> = ReturnType<(typeof KINDS)[K]["scalars"]>;

/** The kinds with a WASM kernel (the others declare `wasm: { unsupported }`). */
export type WasmKind = {
  [K in Kind]: (typeof KINDS)[K]["wasm"] extends { unsupported: string } ? never : K;
}[Kind];

/** The kinds whose WASM kernel also runs float64 params (exported as `<kind>64`). */
export type WasmKind64 = {
  [K in WasmKind]: (typeof KINDS)[K]["wasm"] extends { float64: true } ? K : never;
}[WasmKind];

/** The kinds with a WASM kernel for bfloat16 moments (exported as `<kind>Bf16`). */
export type WasmKindBf16 = {
  [K in Kind]: (typeof KINDS)[K]["bfloat16"] extends { wasm: { params: unknown } } ? K : never;
}[Kind];

/** The kinds with a WASM kernel for 8-bit moments (exported as `<kind>Int8`). */
export type WasmKindInt8 = {
  [K in Kind]: (typeof KINDS)[K]["int8"] extends { wasm: { params: unknown } } ? K : never;
}[Kind];

/** Every kind, in the registry's order. */
export const KIND_NAMES = Object.keys(KINDS) as Kind[];

/** The kinds with a WASM kernel, in the registry's order: the module's update exports. */
export const WASM_KINDS = KIND_NAMES.filter((k): k is WasmKind => !isUnsupported(KINDS[k].wasm));

/** The kinds with a float64 WASM kernel, in the registry's order. */
export const WASM_KINDS64 = WASM_KINDS.filter((k): k is WasmKind64 => {
  const w = KINDS[k].wasm;
  return !isUnsupported(w) && w.float64 === true;
});

/** The kinds with a bfloat16-moment WASM kernel, in the registry's order. */
export const WASM_KINDS_BF16 = KIND_NAMES.filter((k): k is WasmKindBf16 => {
  const w = KINDS[k].bfloat16;
  return !isUnsupported(w) && !isUnsupported(w.wasm);
});

/** The kinds with an 8-bit-moment WASM kernel, in the registry's order. */
export const WASM_KINDS_INT8 = KIND_NAMES.filter((k): k is WasmKindInt8 => !isUnsupported(KINDS[k].int8));

/**
 * The arguments a kind's WASM kernel takes (its bfloat16- or 8-bit-moment kernel's with `storage`):
 * params, gradient, one pointer per buffer (two for 8-bit moments: codes and scales), n, then its
 * parameters.
 */
export function wasmArity(kind: Kind, storage?: "bfloat16" | "int8"): number {
  const mod = kindOf(kind);
  const words = mod.bfloat16;
  const bytes = mod.int8;
  const wasm =
    storage === "bfloat16"
      ? isUnsupported(words)
        ? words
        : words.wasm
      : storage === "int8"
        ? isUnsupported(bytes)
          ? bytes
          : bytes.wasm
        : mod.wasm;
  const pointers = Object.keys(mod.buffers).length * (storage === "int8" ? 2 : 1);
  return isUnsupported(wasm) ? 0 : 3 + pointers + wasm.params.length;
}

/** Whether `kind` is one the registry knows (an alias's `fusion.kind` read from outside). */
export function isKind(kind: unknown): kind is Kind {
  return typeof kind === "string" && Object.hasOwn(KINDS, kind);
}
