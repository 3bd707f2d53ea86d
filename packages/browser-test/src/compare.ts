/**
 * Comparing a run with another (a browser's GPU steps, TF.js's ops vs arrays path, vs the core): the
 * largest relative difference of float arrays, and a walk over two encoded state dicts that requires
 * the same layout everywhere and returns the worst float difference. Here, not in the library's tests,
 * so the apps' browser tests (the Playground's) compare as the library's do; it decodes the state
 * dict's base64 itself (this package does not depend on the library).
 */
import { expect } from "vitest";

/** A state dict's `$f32` payload: little-endian float32s in base64. */
export function float32sOf(base64: string): Float32Array {
  const bytes = Buffer.from(base64, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

/** |a − b| largest over the tensor, relative to b's largest magnitude. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return d === 0 ? 0 : d / scale;
}

/**
 * Walks two encoded states side by side: the same keys, counts and arrays everywhere (the layout),
 * float arrays compared with relDiff; returns the worst.
 */
export function compareStates(a: unknown, b: unknown, at = "state"): number {
  if (Array.isArray(b)) {
    expect(Array.isArray(a), at).toBe(true);
    expect((a as unknown[]).length, at).toBe(b.length);
    return Math.max(0, ...b.map((x, i) => compareStates((a as unknown[])[i], x, `${at}[${i}]`)));
  }
  if (b !== null && typeof b === "object") {
    const bo = b as Record<string, unknown>;
    const ao = a as Record<string, unknown>;
    expect(Object.keys(ao).sort(), at).toEqual(Object.keys(bo).sort());
    if (typeof bo.$f32 === "string") {
      const x = float32sOf(ao.$f32 as string);
      const y = float32sOf(bo.$f32);
      expect(x.length, at).toBe(y.length);
      return relDiff(x, y);
    }
    return Math.max(0, ...Object.keys(bo).map((k) => compareStates(ao[k], bo[k], `${at}.${k}`)));
  }
  // The clip's last norm is summed on the device in float32 by TF.js, in float64 by the core.
  if (at.endsWith(".totalNorm")) return relDiff([a as number], [b as number]);
  // A host scalar a page computed (Schedule-Free's lrMax and weights, NAdam's μ product) went through
  // the browser's Math.pow, which may differ from Node's in the last bits (0.999 ** 16: 20 ulps
  // after 1 − x and √). Counts and flags stay exact.
  if (typeof b === "number" && typeof a === "number" && !Number.isInteger(b)) return relDiff([a], [b]);
  expect(a, at).toEqual(b);
  return 0;
}
