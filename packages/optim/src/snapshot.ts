/**
 * Undo for a failed step: a record of everything a transform's state holds, taken before the step,
 * that puts the state back exactly — the same objects, arrays and typed arrays (the fused kernels and
 * the caller hold references to them), with their old contents, keys and lengths.
 *
 * Why a copy rather than a two-phase protocol: a chain's links write their state one after another,
 * so a schedule that returns NaN or a callback that throws in link k finds links 0…k−1 already
 * advanced; only the state as it was can undo them, whatever threw. The copy is one pass over the
 * state (plain `.set` of each buffer into a buffer kept from the previous step: no allocation once
 * warm), cheaper than the update it guards.
 */
import type { FloatArray } from "./tree.js";

/** The typed arrays state holds: float buffers, bfloat16 bits (Uint16Array), quantized bytes (Uint8Array). */
type StateArray = FloatArray | Uint16Array | Uint8Array;

type Entry =
  | { kind: "object"; ref: Record<string, unknown>; keys: string[]; values: unknown[] }
  | { kind: "array"; ref: unknown[]; values: unknown[] }
  | { kind: "floats"; ref: StateArray; copy: StateArray };

/** What `snapshot` records; pass the previous one back in to reuse its buffers. */
export interface Snapshot {
  entries: Entry[];
}

/** Records `roots` (state trees, or gradient buffers) so that `restore` can put them back. */
export function snapshot(roots: readonly unknown[], previous?: Snapshot): Snapshot {
  const spare = new Map<StateArray, StateArray>();
  if (previous) for (const e of previous.entries) if (e.kind === "floats") spare.set(e.ref, e.copy);
  const entries: Entry[] = [];
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== "object" || seen.has(x)) return;
    seen.add(x);
    if (
      x instanceof Float32Array ||
      x instanceof Float64Array ||
      x instanceof Uint16Array ||
      x instanceof Uint8Array
    ) {
      let copy = spare.get(x);
      if (!copy || copy.length !== x.length || copy.constructor !== x.constructor)
        copy = new (x.constructor as new (n: number) => StateArray)(x.length);
      (copy as Float64Array).set(x as Float64Array);
      entries.push({ kind: "floats", ref: x, copy });
      return;
    }
    if (ArrayBuffer.isView(x)) return; // other views are not state momenta writes
    if (Array.isArray(x)) {
      if (!Object.isFrozen(x)) entries.push({ kind: "array", ref: x, values: x.slice() });
      for (const v of x) visit(v);
      return;
    }
    const ref = x as Record<string, unknown>;
    const keys = Object.keys(ref);
    // A frozen object cannot change, so only what it holds needs recording.
    if (!Object.isFrozen(ref)) entries.push({ kind: "object", ref, keys, values: keys.map((k) => ref[k]) });
    for (const k of keys) visit(ref[k]);
  };
  for (const r of roots) visit(r);
  return { entries };
}

/** Puts back everything `snap` recorded: contents, keys, lengths and the objects at each place. */
export function restore(snap: Snapshot): void {
  for (const e of snap.entries) {
    if (e.kind === "floats") (e.ref as Float64Array).set(e.copy as Float64Array);
    else if (e.kind === "array") {
      e.ref.length = e.values.length;
      for (let i = 0; i < e.values.length; i++) e.ref[i] = e.values[i];
    } else {
      for (const k of Object.keys(e.ref)) if (!e.keys.includes(k)) delete e.ref[k];
      for (let i = 0; i < e.keys.length; i++) e.ref[e.keys[i]!] = e.values[i];
    }
  }
}
