/**
 * L-BFGS's two-loop recursion on the WASM SIMD kernels (`dot32`, `axpy32`, `scale32` and their
 * float64 twins), bit for bit as `jsTwoLoop` computes it. It is most of an iteration's work: 4·m
 * passes over n for m pairs (m dot products and m axpys each way), against one pass for the step
 * and one for the closure's gradient.
 *
 * The kernels need the vectors in their memory, and the history lives in the state (the state dict
 * writes it, a failed step puts it back, the caller may read it), so this keeps a copy of the pairs
 * in a memory of its own: each pair is copied in once, when it first takes part, into a slot freed
 * by a pair that left the history. The copy is dropped at every step's start (`begin`), so whatever
 * changed the state between steps (a state dict loaded, a failed step undone) is read afresh: 2·m
 * copies per step against 4·m passes per iteration. The memory grows with the history to
 * (2·historySize + 1)·n floats, as much again as the history's own; past what a memory can hold (4 GiB), the
 * JavaScript loops run instead, with the same result — as they do below `MIN_LENGTH` elements,
 * where calls cost more than loops.
 */
import { jsTwoLoop, type LbfgsPair, type TwoLoopKernel } from "../transforms/scale-by-lbfgs.js";
import type { FloatArray } from "../tree.js";
import { kernelsFor, type WasmKernels } from "./wasm-kernels.js";

const PAGE = 65536;
/**
 * Below this many elements the JavaScript loops run (the same bits): measured with 10 pairs, the
 * WASM path's fixed cost (its slot bookkeeping and ~40 calls) is 3–4 µs, so JS wins at n = 64
 * (3.2 vs 3.9 µs) and loses at 256 (16.7 vs 6.6 µs).
 */
const MIN_LENGTH = 128;
/** The kernels' import allows 4 GiB (65,536 pages). */
const MAX_PAGES = 65536;

/** A two-loop kernel on WASM SIMD, with its own memory (one per optimizer: it caches that one's history). */
export function wasmTwoLoop(): TwoLoopKernel {
  let memory: WebAssembly.Memory | undefined;
  let k: WasmKernels | undefined;
  let n = -1;
  let f32 = true;
  /** Bytes between vectors: n elements rounded up to 16 bytes. */
  let stride = 0;
  /** Slot i holds owners[i]'s s at (1 + 2i)·stride and its y at (2 + 2i)·stride; the work vector is at 0. */
  let owners: (LbfgsPair | undefined)[] = [];
  const slotOf = new WeakMap<LbfgsPair, number>();

  /** Room for `slots` pairs; false when the memory cannot grow that far. */
  const room = (slots: number): boolean => {
    const pages = Math.ceil(((1 + 2 * slots) * stride) / PAGE) || 1;
    if (pages > MAX_PAGES) return false;
    if (!memory) {
      try {
        memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
      } catch (e) {
        if (e instanceof RangeError) return false;
        throw e;
      }
      k = kernelsFor(memory);
      return true;
    }
    const have = memory.buffer.byteLength / PAGE;
    if (pages <= have) return true;
    try {
      memory.grow(pages - have);
      return true;
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
  };
  const view = (at: number): FloatArray =>
    f32 ? new Float32Array(memory!.buffer, at, n) : new Float64Array(memory!.buffer, at, n);

  return {
    name: "wasm",
    begin() {
      owners = [];
    },
    twoLoop(g, history, hDiag, r, out) {
      if (n !== g.length || f32 !== g instanceof Float32Array) {
        n = g.length;
        f32 = g instanceof Float32Array;
        stride = Math.ceil((n * (f32 ? 4 : 8)) / 16) * 16;
        memory = undefined;
        owners = [];
      }
      if (n < MIN_LENGTH) return jsTwoLoop.twoLoop(g, history, hDiag, r, out);
      // Slots of pairs that left the history are free; pairs without a slot get one.
      const live = new Set(history);
      for (let i = 0; i < owners.length; i++) if (owners[i] && !live.has(owners[i]!)) owners[i] = undefined;
      const slots: number[] = [];
      for (const h of history) {
        let slot = slotOf.get(h);
        if (slot === undefined || owners[slot] !== h) {
          slot = owners.indexOf(undefined);
          if (slot < 0) slot = owners.length;
          if (!room(Math.max(owners.length, slot + 1))) return jsTwoLoop.twoLoop(g, history, hDiag, r, out);
          view((1 + 2 * slot) * stride).set(h.s);
          view((2 + 2 * slot) * stride).set(h.y);
          owners[slot] = h;
          slotOf.set(h, slot);
        }
        slots.push(slot);
      }
      if (!room(owners.length)) return jsTwoLoop.twoLoop(g, history, hDiag, r, out);
      const w = k!;
      const dot = f32 ? w.dot32 : w.dot64;
      const axpy = f32 ? w.axpy32 : w.axpy64;
      const scale = f32 ? w.scale32 : w.scale64;
      const s = (i: number) => (1 + 2 * slots[i]!) * stride;
      const y = (i: number) => (2 + 2 * slots[i]!) * stride;
      // q = −g in the work vector, then d = γ·q in its place, as jsTwoLoop.
      view(0).set(g);
      scale(0, 0, -1, n);
      const al = new Array<number>(history.length);
      for (let i = history.length - 1; i >= 0; i--) {
        al[i] = r(r(dot(s(i), 0, n)) * history[i]!.rho);
        axpy(0, -al[i]!, y(i), n);
      }
      scale(0, 0, hDiag, n);
      for (let i = 0; i < history.length; i++) {
        const be = r(r(dot(y(i), 0, n)) * history[i]!.rho);
        axpy(0, r(al[i]! - be), s(i), n);
      }
      out.set(view(0));
      return out;
    },
  };
}
