/**
 * Arenas: one WebAssembly memory holding many leaves, so a single kernel call can update a whole
 * model (PyTorch's multi-tensor apply, without the bookkeeping). `packTree` copies a tree into an
 * arena and returns views; the optimizer then places its gradient buffer and state next to it.
 *
 * Each leaf is aligned to 16 bytes and padded with zeros to a whole number of 16-byte vectors, so
 * kernels never need a scalar tail. A shared memory (the default where SharedArrayBuffer exists)
 * grows in place and can be handed to worker threads; a non-shared one cannot grow without
 * detaching every view, so it is made with room to spare and refuses to outgrow it.
 */
import { type FloatArray, mapTree, type Tree } from "../tree.js";

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

/** A WebAssembly memory that leaves are allocated in, one after another. */
export interface Arena {
  /** The memory every leaf of the arena is a view into. */
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is shared (can grow in place, and be handed to worker threads). */
  readonly shared: boolean;
  /** Bytes handed out so far. */
  top: number;
}

/** Options of `createArena` and `packTree`. */
export interface ArenaOptions {
  /** Share the memory with worker threads (default: when SharedArrayBuffer is available). */
  shared?: boolean;
  /**
   * Initial size in bytes, rounded up to 64 KiB pages. Default: one page for `createArena`; for
   * `packTree`, room for the tree twice (shared) or six times (not shared), plus a page.
   */
  bytes?: number;
}

const byBuffer = new WeakMap<ArrayBufferLike, Arena>();

/** Whether this runtime has SharedArrayBuffer (browsers: only when cross-origin isolated). */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === "function";
}

/** A new, empty arena. */
export function createArena(options: ArenaOptions = {}): Arena {
  const shared = options.shared ?? canShareMemory();
  const pages = Math.max(1, Math.ceil((options.bytes ?? PAGE) / PAGE));
  const memory = shared
    ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: pages });
  const arena: Arena = { memory, shared, top: 0 };
  byBuffer.set(memory.buffer, arena);
  return arena;
}

/** The element count a leaf of `length` occupies, padding included. */
export function paddedLength(length: number, width: number): number {
  const perVector = 16 / width;
  return Math.ceil(length / perVector) * perVector;
}

/** A zero-filled array of `length` in the arena, 16-byte aligned and padded. */
export function allocate(arena: Arena, length: number, dtype: "float32" | "float64" = "float32"): FloatArray {
  const width = dtype === "float32" ? 4 : 8;
  const offset = Math.ceil(arena.top / 16) * 16;
  const end = offset + paddedLength(length, width) * width;
  const have = arena.memory.buffer.byteLength;
  if (end > have) {
    if (!arena.shared) {
      throw new RangeError(
        `arena: full (${have} bytes); a non-shared memory cannot grow without detaching its views — create the arena with more bytes`,
      );
    }
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError("arena: more than 4 GiB requested");
    arena.memory.grow(pages);
  }
  arena.top = end;
  const buffer = arena.memory.buffer;
  byBuffer.set(buffer, arena);
  return dtype === "float32"
    ? new Float32Array(buffer, offset, length)
    : new Float64Array(buffer, offset, length);
}

/** The arena an array lives in, if any. */
export function arenaOf(a: FloatArray): Arena | undefined {
  return byBuffer.get(a.buffer);
}

/**
 * Copies a tree into an arena (a new one unless given) and returns the same tree made of views
 * into it; shapes are kept. Train the returned tree: fused kernels then update it in one pass.
 * A new non-shared arena is made with room for the params, a gradient buffer and three state
 * buffers of each leaf.
 */
export function packTree(
  tree: Tree,
  options: ArenaOptions & {
    /** Pack into this arena instead of a new one. */
    arena?: Arena;
  } = {},
): Tree {
  let arena = options.arena;
  if (!arena) {
    let bytes = 0;
    mapTree(tree, (d) => {
      bytes += paddedLength(d.length, d.BYTES_PER_ELEMENT) * d.BYTES_PER_ELEMENT;
      return d;
    });
    const shared = options.shared ?? canShareMemory();
    arena = createArena({ shared, bytes: options.bytes ?? (shared ? bytes * 2 : bytes * 6) + PAGE });
  }
  const target = arena;
  return mapTree(tree, (d) => {
    const v = allocate(target, d.length, d instanceof Float32Array ? "float32" : "float64");
    v.set(d);
    return v;
  });
}
