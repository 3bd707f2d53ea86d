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
import { checkBoolean, checkNumber, checkOptions, showValue } from "../hyper.js";
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
  /** Share the memory with worker threads (default: when SharedArrayBuffer is available; true where it is not throws). */
  shared?: boolean;
  /**
   * Initial size in bytes, rounded up to 64 KiB pages: a number in [0, 4 GiB] (2³², the wasm32
   * limit). Default: one page for `createArena`; for `packTree`, room for the tree twice (shared) or
   * six times (not shared), plus a page.
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
  checkOptions("createArena", options, ["shared", "bytes"]);
  return newArena("createArena", options);
}

function newArena(owner: string, options: ArenaOptions): Arena {
  const { shared, bytes } = arenaOptions(owner, options);
  const pages = Math.max(1, Math.ceil((bytes ?? PAGE) / PAGE));
  if (pages > MAX_PAGES) throw new RangeError(`${owner}: more than 4 GiB requested (${bytes} bytes)`);
  let memory: WebAssembly.Memory;
  try {
    memory = shared
      ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: pages, maximum: pages }); // the kernels' import needs a maximum
  } catch (e) {
    throw new RangeError(
      `${owner}: could not allocate ${pages * PAGE} bytes (${(e as Error)?.message ?? String(e)})`,
      {
        cause: e,
      },
    );
  }
  const arena: Arena = { memory, shared, top: 0 };
  byBuffer.set(memory.buffer, arena);
  return arena;
}

/** Checks the options `createArena` and `packTree` share. */
function arenaOptions(owner: string, options: ArenaOptions): { shared: boolean; bytes: number | undefined } {
  const shared = checkBoolean(owner, "shared", options.shared ?? canShareMemory());
  if (shared && !canShareMemory()) {
    throw new RangeError(`${owner}: shared: true needs SharedArrayBuffer, which this runtime does not have`);
  }
  const bytes =
    options.bytes === undefined
      ? undefined
      : checkNumber(owner, "bytes", options.bytes, `[0, ${MAX_PAGES * PAGE}]`);
  return { shared, bytes };
}

/** The element count a leaf of `length` occupies, padding included. */
export function paddedLength(length: number, width: number): number {
  const perVector = 16 / width;
  return Math.ceil(length / perVector) * perVector;
}

/** A zero-filled array of `length` in the arena, 16-byte aligned and padded. */
export function allocate(arena: Arena, length: number, dtype: "float32" | "float64" = "float32"): FloatArray {
  const width = dtype === "float32" ? 4 : 8;
  const offset = reserve(arena, paddedLength(length, width) * width);
  const buffer = arena.memory.buffer;
  return dtype === "float32"
    ? new Float32Array(buffer, offset, length)
    : new Float64Array(buffer, offset, length);
}

/** A zero-filled `Uint16Array` of `length` in the arena (bfloat16 bits), 16-byte aligned and padded. */
export function allocateWords(arena: Arena, length: number): Uint16Array {
  const offset = reserve(arena, paddedLength(length, 2) * 2);
  return new Uint16Array(arena.memory.buffer, offset, length);
}

/** A zero-filled `Uint8Array` of `length` in the arena (8-bit codes), 16-byte aligned and padded. */
export function allocateBytes(arena: Arena, length: number): Uint8Array {
  const offset = reserve(arena, paddedLength(length, 1));
  return new Uint8Array(arena.memory.buffer, offset, length);
}

/** Reserves `bytes` at the arena's next 16-byte boundary (growing a shared memory): their offset. */
function reserve(arena: Arena, bytes: number): number {
  const offset = Math.ceil(arena.top / 16) * 16;
  const end = offset + bytes;
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
  byBuffer.set(arena.memory.buffer, arena);
  return offset;
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
  const owner = "packTree";
  checkOptions(owner, options, ["shared", "bytes", "arena"]);
  let arena = options.arena;
  if (arena === undefined) {
    let bytes = 0;
    mapTree(tree, (d) => {
      bytes += paddedLength(d.length, d.BYTES_PER_ELEMENT) * d.BYTES_PER_ELEMENT;
      return d;
    });
    const o = arenaOptions(owner, options);
    const room = Math.min((o.shared ? bytes * 2 : bytes * 6) + PAGE, MAX_PAGES * PAGE);
    arena = newArena(owner, { shared: o.shared, bytes: o.bytes ?? room });
  } else {
    const a = arena as Partial<Arena> | null;
    if (
      a === null ||
      typeof a !== "object" ||
      !(a.memory instanceof WebAssembly.Memory) ||
      typeof a.top !== "number"
    ) {
      throw new TypeError(`${owner}: arena must be an arena made by createArena, got ${showValue(arena)}`);
    }
    if (options.shared !== undefined || options.bytes !== undefined) {
      throw new TypeError(
        `${owner}: shared and bytes describe a new arena; leave them out when you give one`,
      );
    }
  }
  const target = arena;
  return mapTree(tree, (d) => {
    let v: FloatArray;
    try {
      v = allocate(target, d.length, d instanceof Float32Array ? "float32" : "float64");
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${owner}: ${e.message}`, { cause: e });
      throw e;
    }
    v.set(d);
    return v;
  });
}
