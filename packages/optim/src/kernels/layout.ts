/**
 * Where leaves sit in memory. Leaves packed by `packTree` are consecutive, aligned and padded
 * allocations of one buffer: then the optimizer's buffers can mirror that layout and a kernel can
 * sweep any run of consecutive leaves in one call. Other trees are handled leaf by leaf, each buffer
 * of a leaf in the leaf's own dtype (a tree may mix float32 and float64 leaves).
 */

import type { QuantizedBuffer } from "../transforms/compact-state.js";
import { INT8_BLOCK } from "../transforms/compact-state.js";
import type { FloatArray } from "../tree.js";
import { type Arena, allocate, allocateBytes, allocateWords, arenaOf, paddedLength } from "./arena.js";

export interface Layout {
  /** Element offset of each leaf from the first, padding included. */
  offsets: number[];
  lengths: number[];
  /** Elements the span covers, padding included. */
  total: number;
  /** The arena the leaves were packed into, when they form one consecutive span there. */
  arena: Arena | undefined;
  /** Byte offset of the first leaf in the arena's memory (when `arena`). */
  base: number;
  /** The leaves' element type, "mixed" when they differ (never packed then). */
  dtype: "float32" | "float64" | "mixed";
  /** Each leaf's element type. */
  dtypes: ("float32" | "float64")[];
}

export function layoutOf(leaves: readonly FloatArray[]): Layout {
  const dtypes = leaves.map((l): Layout["dtypes"][number] =>
    l instanceof Float64Array ? "float64" : "float32",
  );
  const first = dtypes[0] ?? "float32";
  const dtype = dtypes.every((d) => d === first) ? first : "mixed";
  const width = first === "float32" ? 4 : 8;
  const offsets: number[] = [];
  let total = 0;
  for (const l of leaves) {
    offsets.push(total);
    total += paddedLength(l.length, width);
  }
  const arena = leaves.length > 0 ? arenaOf(leaves[0]!) : undefined;
  const base = leaves[0]?.byteOffset ?? 0;
  const packed =
    arena !== undefined &&
    leaves.every(
      (l, i) =>
        l.BYTES_PER_ELEMENT === width && arenaOf(l) === arena && l.byteOffset === base + offsets[i]! * width,
    );
  return {
    offsets,
    lengths: leaves.map((l) => l.length),
    total,
    arena: packed ? arena : undefined,
    base,
    dtype,
    dtypes,
  };
}

/**
 * A zeroed region shaped like `layout` (in `arena` when given), and per-leaf views into it; for
 * mixed dtypes, one zeroed array per leaf in the leaf's dtype (and no region).
 */
export function mirror(
  layout: Layout,
  arena: Arena | undefined,
): { flat: FloatArray | undefined; leaves: FloatArray[] } {
  if (layout.dtype === "mixed") {
    const leaves = layout.lengths.map((n, i) =>
      layout.dtypes[i] === "float32" ? new Float32Array(n) : new Float64Array(n),
    );
    return { flat: undefined, leaves };
  }
  const flat = arena
    ? allocate(arena, layout.total, layout.dtype)
    : layout.dtype === "float32"
      ? new Float32Array(layout.total)
      : new Float64Array(layout.total);
  return { flat, leaves: layout.offsets.map((o, i) => flat.subarray(o, o + layout.lengths[i]!)) };
}

/**
 * As `mirror`, for bfloat16 bits: a zeroed `Uint16Array` region with the layout's element offsets
 * (2 bytes an element), or one array per leaf for mixed dtypes.
 */
export function mirrorWords(
  layout: Layout,
  arena: Arena | undefined,
): { flat: Uint16Array | undefined; leaves: Uint16Array[] } {
  if (layout.dtype === "mixed")
    return { flat: undefined, leaves: layout.lengths.map((n) => new Uint16Array(n)) };
  const flat = arena ? allocateWords(arena, layout.total) : new Uint16Array(layout.total);
  return { flat, leaves: layout.offsets.map((o, i) => flat.subarray(o, o + layout.lengths[i]!)) };
}

/**
 * For 8-bit moments, in `arena`: the codes (one byte an element, at the layout's element offsets)
 * and the block scales (one float32 per `INT8_BLOCK` of each leaf, leaf after leaf: `blocks[i]` is
 * leaf i's first), and per-leaf views as the state holds them.
 */
export function mirrorInt8(
  layout: Layout,
  arena: Arena,
): { codes: Uint8Array; scales: Float32Array; blocks: number[]; leaves: QuantizedBuffer[] } {
  const codes = allocateBytes(arena, layout.total);
  const blocks: number[] = [];
  let count = 0;
  for (const n of layout.lengths) {
    blocks.push(count);
    count += Math.ceil(n / INT8_BLOCK);
  }
  const scales = allocate(arena, count, "float32") as Float32Array;
  const leaves = layout.offsets.map((o, i) => ({
    codes: codes.subarray(o, o + layout.lengths[i]!),
    scales: scales.subarray(blocks[i]!, blocks[i]! + Math.ceil(layout.lengths[i]! / INT8_BLOCK)),
  }));
  return { codes, scales, blocks, leaves };
}

/** One view spanning all the leaves of a packed layout (padding included). */
export function spanOf(layout: Layout): FloatArray {
  const buffer = layout.arena!.memory.buffer;
  return layout.dtype === "float32"
    ? new Float32Array(buffer, layout.base, layout.total)
    : new Float64Array(buffer, layout.base, layout.total);
}
