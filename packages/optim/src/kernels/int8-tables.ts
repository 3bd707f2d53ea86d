/**
 * The tables the WASM 8-bit kernel encodes and decodes with, as it finds them in its memory: both
 * dynamic codes (256 float32 values each) and their bucket tables (65,536 int16 each: `lastAtMost`'s
 * start for every float32 upper-16-bit pattern) — the very arrays `precision/blockwise-int8.ts`
 * uses, so the kernel picks the bytes the chain does. Written once per arena that runs 8-bit state.
 */
import { bucketsOf, SIGNED_CODE, UNSIGNED_CODE, zeroByte } from "../precision/blockwise-int8.js";
import { type Arena, allocate } from "./arena.js";

/** Byte offsets within the tables' region. */
export const INT8_TABLES = {
  signedCode: 0,
  unsignedCode: 1024,
  signedBuckets: 2048,
  unsignedBuckets: 2048 + 131072,
  bytes: 2048 + 2 * 131072,
} as const;

/** The byte of +0 in each code (what a block whose scale is 0 or not finite stores). */
export const INT8_ZERO = { signed: zeroByte(SIGNED_CODE), unsigned: zeroByte(UNSIGNED_CODE) } as const;

const cached = new WeakMap<Arena, number>();

/** The tables in `arena` (written on first use): their byte offset. */
export function int8Tables(arena: Arena): number {
  let at = cached.get(arena);
  if (at === undefined) {
    const region = allocate(arena, INT8_TABLES.bytes / 4, "float32");
    at = region.byteOffset;
    const buffer = arena.memory.buffer;
    new Float32Array(buffer, at + INT8_TABLES.signedCode, 256).set(SIGNED_CODE);
    new Float32Array(buffer, at + INT8_TABLES.unsignedCode, 256).set(UNSIGNED_CODE);
    new Int16Array(buffer, at + INT8_TABLES.signedBuckets, 65536).set(bucketsOf(SIGNED_CODE));
    new Int16Array(buffer, at + INT8_TABLES.unsignedBuckets, 65536).set(bucketsOf(UNSIGNED_CODE));
    cached.set(arena, at);
  }
  return at;
}
