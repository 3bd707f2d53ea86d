/**
 * Optimizer state kept in fewer bytes than the params (`stateDtype`): a moment buffer stored as
 * float32 (for float64 params), as bfloat16 words written with stochastic rounding, or as 8-bit
 * blocks of the dynamic code (`precision/`). A transform runs its element math unchanged on a block
 * of decoded values (`readBlock`), then stores the block back (`writeBlock`), which also leaves in the
 * block what was stored — so the step reads the state it will find next time, as with float state.
 *
 * Both round stochastically (seeded): an exponential average whose steps are below the storage's
 * resolution still moves — to nearest, Lion's momentum (β2 0.99) in 8 bits trained to 1.48× float
 * state's loss, and Adam's late steps to 1.2–14×.
 *
 * 8-bit second moments are stored as √v (`root`): v spans twice the decades of the gradient, and
 * the entries below the code's least value (0.55·10⁻⁷ of the block's largest) would become 0 beside
 * a non-zero first moment — m/(√0 + ε) — where √v's range fits (measured with
 * `scripts/state-precision.ts`: v stored itself diverged at every block size; √v stayed within 6 %
 * of float32 state's loss early in the run).
 */

import { showValue } from "../hyper.js";
import { fromBfloat16, roundingBits, roundingKey, toBfloat16 } from "../precision/bfloat16.js";
import {
  blockCount,
  type Code,
  INT8_BLOCK,
  quantizeBlock,
  SIGNED_CODE,
  UNSIGNED_CODE,
} from "../precision/blockwise-int8.js";
import { type FloatArray, isFloatArray, leavesOf, type Tree } from "../tree.js";

/** How a transform stores its moments: absent, in the params' own dtype. */
export type StateDtype = "float32" | "bfloat16" | "int8";

export const STATE_DTYPES: readonly StateDtype[] = ["float32", "bfloat16", "int8"];

/** The storage options every moment transform takes. */
export interface CompactStateOptions {
  /**
   * How the state is stored: "float32", "bfloat16" (stochastic rounding, 2 bytes) or "int8"
   * (block-wise 8-bit dynamic code). Default: the params' own dtype. The math runs in float64.
   */
  stateDtype?: StateDtype;
  /** Seed of the stochastic rounding (the same seed, the same run), a uint32. Default 0. */
  stateSeed?: number;
}

/** An 8-bit moment buffer: one byte of the code per element, one float32 scale per block. */
export interface QuantizedBuffer {
  /** One byte per element: the index of its value in the dynamic code (`precision/blockwise-int8.ts`). */
  codes: Uint8Array;
  /** One per block of `INT8_BLOCK` elements: the block's largest magnitude. */
  scales: Float32Array;
}

export { INT8_BLOCK };

/** A moment buffer as stored. */
export type MomentBuffer = FloatArray | Uint16Array | QuantizedBuffer;

/** Elements per block for float and bfloat16 state (any size gives the same numbers). */
const BLOCK = 1024;

/** What a moment holds: signed values (m), non-negative ones (v, stored as √v in 8 bits). */
export type MomentKind = "signed" | "square";

/** The storage of one kind of moment, per leaf. */
export interface MomentStore {
  readonly dtype: StateDtype | undefined;
  readonly kind: MomentKind;
  /** Elements per block (`readBlock`/`writeBlock` take block-aligned ranges). */
  readonly block: number;
  /** A fresh buffer for a leaf of `n` elements (zeros). */
  create(n: number, like: FloatArray): MomentBuffer;
  /** Length in elements. */
  length(b: MomentBuffer): number;
  /** Decodes [start, start + out.length) into `out`. */
  readBlock(b: MomentBuffer, start: number, out: Float64Array): void;
  /**
   * Stores `values` at [start, start + values.length) and overwrites `values` with what was stored,
   * decoded. `key` draws bfloat16's rounding bits (`roundingKey`).
   */
  writeBlock(b: MomentBuffer, start: number, values: Float64Array, key: number): void;
  /** The decoded values of a whole buffer, as float32 (a copy). */
  decode(b: MomentBuffer): Float32Array;
}

/** Checks a `stateDtype` option. */
export function checkStateDtype(owner: string, dtype: unknown): StateDtype | undefined {
  if (dtype === undefined || (STATE_DTYPES as readonly unknown[]).includes(dtype))
    return dtype as StateDtype | undefined;
  throw new RangeError(
    `${owner}: stateDtype must be "float32", "bfloat16" or "int8", got ${showValue(dtype)}`,
  );
}

/** The store for `kind` moments in `dtype` (undefined: the params' dtype). */
export function momentStore(dtype: StateDtype | undefined, kind: MomentKind): MomentStore {
  if (dtype === "bfloat16") return bfloat16Store(kind);
  if (dtype === "int8") return int8Store(kind);
  return floatStore(dtype, kind);
}

/** The key of one buffer's rounding at one step: seed, step, and the buffer's (leaf, moment) stream. */
export function momentKey(seed: number, step: number, leaf: number, moment: number): number {
  return roundingKey(seed, step, leaf * 4 + moment);
}

function floatStore(dtype: "float32" | undefined, kind: MomentKind): MomentStore {
  return {
    dtype,
    kind,
    block: BLOCK,
    create: (n, like) =>
      dtype === "float32" || like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n),
    length: (b) => (b as FloatArray).length,
    readBlock(b, start, out) {
      const f = b as FloatArray;
      for (let i = 0; i < out.length; i++) out[i] = f[start + i]!;
    },
    writeBlock(b, start, values) {
      const f = b as FloatArray;
      for (let i = 0; i < values.length; i++) {
        f[start + i] = values[i]!;
        values[i] = f[start + i]!;
      }
    },
    decode: (b) => Float32Array.from(b as FloatArray),
  };
}

function bfloat16Store(kind: MomentKind): MomentStore {
  return {
    dtype: "bfloat16",
    kind,
    block: BLOCK,
    create: (n) => new Uint16Array(n),
    length: (b) => (b as Uint16Array).length,
    readBlock(b, start, out) {
      const w = b as Uint16Array;
      for (let i = 0; i < out.length; i++) out[i] = fromBfloat16(w[start + i]!);
    },
    writeBlock(b, start, values, key) {
      const w = b as Uint16Array;
      for (let i = 0; i < values.length; i++) {
        const h = toBfloat16(values[i]!, roundingBits(key, start + i));
        w[start + i] = h;
        values[i] = fromBfloat16(h);
      }
    },
    decode: (b) => Float32Array.from(b as Uint16Array, fromBfloat16),
  };
}

function int8Store(kind: MomentKind): MomentStore {
  const code: Code = kind === "signed" ? SIGNED_CODE : UNSIGNED_CODE;
  const root = kind === "square";
  const scratch = new Float32Array(INT8_BLOCK);
  const f32 = new Float32Array(1);
  /** `dequantize` of one block (start is block-aligned) into out, v squared back from √v. */
  const read = (q: QuantizedBuffer, start: number, out: { [i: number]: number; length: number }) => {
    const n = out.length;
    const scale = q.scales[start / INT8_BLOCK]!;
    if (!Number.isFinite(scale)) {
      for (let i = 0; i < n; i++) out[i] = Number.NaN;
      return;
    }
    const codes = q.codes;
    for (let i = 0; i < n; i++) {
      f32[0] = code[codes[start + i]!]! * scale; // the float32 `dequantize` stores
      const x = f32[0]!;
      out[i] = root ? x * x : x;
    }
  };
  return {
    dtype: "int8",
    kind,
    block: INT8_BLOCK,
    create: (n) => ({ codes: new Uint8Array(n), scales: new Float32Array(blockCount(n, INT8_BLOCK)) }),
    length: (b) => (b as QuantizedBuffer).codes.length,
    readBlock: (b, start, out) => read(b as QuantizedBuffer, start, out),
    writeBlock(b, start, values, key) {
      const q = b as QuantizedBuffer;
      const n = values.length;
      for (let i = 0; i < n; i++) scratch[i] = root ? Math.sqrt(values[i]!) : values[i]!;
      // stochastic rounding between the two nearest codes, as bfloat16's: a slow average still moves
      quantizeBlock(code, scratch, 0, q.codes, start, n, q.scales, start / INT8_BLOCK, key, start);
      read(q, start, values);
    },
    decode(b) {
      const q = b as QuantizedBuffer;
      const out = new Float32Array(q.codes.length);
      for (let s = 0; s < out.length; s += INT8_BLOCK)
        read(q, s, out.subarray(s, Math.min(s + INT8_BLOCK, out.length)));
      return out;
    },
  };
}

/**
 * The buffers as `updateLeaves` checks them, by length in elements: the list itself unless it holds
 * 8-bit buffers (a step on float state allocates nothing for this).
 */
export function sized(buffers: readonly MomentBuffer[]): readonly { readonly length: number }[] {
  for (const b of buffers) if (!ArrayBuffer.isView(b)) return buffers.map((q) => ({ length: lengthOf(q) }));
  return buffers as readonly (FloatArray | Uint16Array)[];
}

function lengthOf(b: MomentBuffer): number {
  return ArrayBuffer.isView(b) ? b.length : b.codes.length;
}

/** One buffer per leaf of `params`, in `store`'s storage, holding `fill` (stored as any value is). */
export function momentsLike(store: MomentStore, params: Tree, fill = 0): MomentBuffer[] {
  return leavesOf(params).map((p) => {
    const b = store.create(p.length, p);
    if (fill !== 0)
      for (let start = 0; start < p.length; start += store.block)
        store.writeBlock(b, start, new Float64Array(Math.min(store.block, p.length - start)).fill(fill), 0);
    return b;
  });
}

/** A transform's `stateDtype` and `stateSeed` options, checked, and its stores. */
export interface CompactOptions {
  /** Absent: the params' own dtype (plain float arrays, the transform's own loop). */
  dtype: StateDtype | undefined;
  seed: number;
  store(kind: MomentKind): MomentStore;
}

/** Reads `stateDtype` and `stateSeed` from a transform's options. */
export function compactOptions(owner: string, options: CompactStateOptions): CompactOptions {
  const dtype = checkStateDtype(owner, options.stateDtype);
  const seed = options.stateSeed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`${owner}: stateSeed must be an integer in [0, 4294967295], got ${showValue(seed)}`);
  return { dtype, seed, store: (kind) => momentStore(dtype, kind) };
}

/**
 * Per-leaf buffers as float arrays, for `buffers()`: the state's own list when it holds float arrays,
 * else decoded float32 copies (what the moments hold; writing to them changes nothing).
 */
export function decodedView(store: MomentStore, buffers: readonly MomentBuffer[]): readonly FloatArray[] {
  return buffers.every(isFloatArray)
    ? (buffers as readonly FloatArray[])
    : buffers.map((b) => (isFloatArray(b) ? b : store.decode(b)));
}

/**
 * One leaf's step on compact moments, block by block: each moment's block is decoded, `body(start,
 * blocks)` runs the transform's element math on them (updating the moment blocks in place), they
 * are stored back (`writeBlock`, keyed `momentKey(seed, step, leaf, stream + k)` for moment k — stream
 * 0 unless the transform was given one of its own: the blocks then
 * hold what was stored), and `after(start, blocks)` computes the output from the stored values.
 */
export function blockwise(
  stores: readonly MomentStore[],
  buffers: readonly MomentBuffer[],
  key: { seed: number; step: number; leaf: number; stream?: number },
  n: number,
  body: (start: number, blocks: readonly Float64Array[]) => void,
  after?: (start: number, blocks: readonly Float64Array[]) => void,
): void {
  const block = stores[0]!.block;
  const scratch = stores.map(() => new Float64Array(block));
  const keys = stores.map((_, k) => momentKey(key.seed, key.step, key.leaf, (key.stream ?? 0) + k));
  for (let start = 0; start < n; start += block) {
    const len = Math.min(block, n - start);
    const blocks = scratch.map((b) => (len === block ? b : b.subarray(0, len)));
    stores.forEach((st, k) => {
      st.readBlock(buffers[k]!, start, blocks[k]!);
    });
    body(start, blocks);
    stores.forEach((st, k) => {
      st.writeBlock(buffers[k]!, start, blocks[k]!, keys[k]!);
    });
    after?.(start, blocks);
  }
}
