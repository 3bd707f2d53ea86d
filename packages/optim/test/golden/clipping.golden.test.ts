/** clipByGlobalNorm / clipByValue against torch.nn.utils.clip_grad_norm_ / clip_grad_value_. */
import { readFileSync } from "node:fs";
import {
  base64ToFloats,
  clipByGlobalNorm,
  clipByValue,
  type Dtype,
  type FloatArray,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { loadProblem, makeParams, maxRelError } from "./fixtures.ts";

interface NormCase {
  dtype: Dtype;
  set: number;
  maxNorm: number;
  normType: number | "inf";
  grads: string;
  clipped: string;
  totalNorm: number | string;
}
interface ValueCase {
  dtype: Dtype;
  set: number;
  clipValue: number;
  grads: string;
  clipped: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/clipping.json", import.meta.url), "utf8")) as {
  torch: string;
  norm: NormCase[];
  value: ValueCase[];
  nonfinite: (NormCase & { case: string; errorIfNonfiniteRaises: boolean })[];
};
const problem = loadProblem();
const normType = (t: number | "inf") => (t === "inf" ? Infinity : t);
const tree = (flat: FloatArray): Tree => makeParams(problem, flat);

/** Equal as PyTorch prints them: NaN equals NaN, and the sign of zero counts. */
function sameBits(a: FloatArray, b: FloatArray) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) expect(Number.isNaN(a[i]!)).toBe(true);
    else
      expect(Object.is(a[i], b[i]) || Math.abs(a[i]! - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!))).toBe(
        true,
      );
  }
}

describe(`clipping matches torch ${fixture.torch}`, () => {
  it.each(
    fixture.norm.map((c) => [`${c.dtype} set ${c.set} maxNorm ${c.maxNorm} p=${c.normType}`, c] as const),
  )("clip_grad_norm_ %s", (_, c) => {
    const g = base64ToFloats(c.grads, c.dtype);
    const tx = clipByGlobalNorm(c.maxNorm, { normType: normType(c.normType) });
    const state = tx.init(tree(g));
    tx.update(tree(g), state);
    const tol = c.dtype === "float64" ? 1e-12 : 1e-6;
    expect(
      Math.abs(state.totalNorm - (c.totalNorm as number)) / Math.max(1, c.totalNorm as number),
    ).toBeLessThanOrEqual(tol);
    expect(maxRelError(g, base64ToFloats(c.clipped, c.dtype))).toBeLessThanOrEqual(tol);
  });
  it.each(fixture.value.map((c) => [`${c.dtype} set ${c.set} clipValue ${c.clipValue}`, c] as const))(
    "clip_grad_value_ %s",
    (_, c) => {
      const g = base64ToFloats(c.grads, c.dtype);
      clipByValue(c.clipValue).update(tree(g), null);
      expect(Array.from(g)).toEqual(Array.from(base64ToFloats(c.clipped, c.dtype)));
    },
  );
  it.each(fixture.nonfinite.map((c) => [`${c.dtype} ${c.case} p=${c.normType}`, c] as const))(
    "non-finite gradients: %s",
    (_, c) => {
      const g = base64ToFloats(c.grads, c.dtype);
      const strict = clipByGlobalNorm(c.maxNorm, { normType: normType(c.normType), errorIfNonfinite: true });
      const copy = g.slice();
      expect(c.errorIfNonfiniteRaises).toBe(true);
      expect(() => strict.update(tree(g), strict.init(tree(g)))).toThrow(/nothing was changed/);
      expect(Array.from(g)).toEqual(Array.from(copy));
      const tx = clipByGlobalNorm(c.maxNorm, { normType: normType(c.normType) });
      const state = tx.init(tree(g));
      tx.update(tree(g), state);
      expect(String(state.totalNorm)).toBe(c.totalNorm === "inf" ? "Infinity" : "NaN");
      sameBits(g, base64ToFloats(c.clipped, c.dtype));
    },
  );
});
