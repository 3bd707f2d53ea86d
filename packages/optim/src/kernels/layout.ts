/**
 * Where leaves sit in memory. Leaves packed by `packTree` are consecutive, aligned and padded
 * allocations of one buffer: then the optimizer's buffers can mirror that layout and a kernel can
 * sweep any run of consecutive leaves in one call. Other trees are handled leaf by leaf.
 */
import type { FloatArray } from "../tree.js";
import { type Arena, allocate, arenaOf, paddedLength } from "./arena.js";

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
  dtype: "float32" | "float64";
}

export function layoutOf(leaves: readonly FloatArray[]): Layout {
  const dtype = leaves[0] instanceof Float64Array ? "float64" : "float32";
  const width = dtype === "float32" ? 4 : 8;
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
  };
}

/** A zeroed region shaped like `layout` (in `arena` when given), and per-leaf views into it. */
export function mirror(layout: Layout, arena: Arena | undefined): { flat: FloatArray; leaves: FloatArray[] } {
  const flat = arena
    ? allocate(arena, layout.total, layout.dtype)
    : layout.dtype === "float32"
      ? new Float32Array(layout.total)
      : new Float64Array(layout.total);
  return { flat, leaves: layout.offsets.map((o, i) => flat.subarray(o, o + layout.lengths[i]!)) };
}

/** One view spanning all the leaves of a packed layout (padding included). */
export function spanOf(layout: Layout): FloatArray {
  const buffer = layout.arena!.memory.buffer;
  return layout.dtype === "float32"
    ? new Float32Array(buffer, layout.base, layout.total)
    : new Float64Array(buffer, layout.base, layout.total);
}
