import { checkInteger, checkNumber, checkOptions, showValue } from "../hyper.js";
import { type FloatArray, isFloatArray } from "../tree.js";

/** Keller Jordan's quintic coefficients (a, b, c), PyTorch's and Optax's default. */
export const NS_COEFFICIENTS: readonly [number, number, number] = [3.4445, -4.775, 2.0315];

/** Options of `newtonSchulz`. */
export interface NewtonSchulzOptions {
  /** (a, b, c) of `p(σ) = aσ + bσ³ + cσ⁵`, finite numbers (default `NS_COEFFICIENTS`). */
  coefficients?: readonly [number, number, number];
  /** Iterations, an integer in [0, 100) (default 5). */
  steps?: number;
  /** Floor (> 0) on the Frobenius norm the input is divided by (default 1e-7). */
  eps?: number;
}

/**
 * Approximate orthogonalization of a [rows, cols] row-major matrix G by the Newton–Schulz
 * iteration of `torch.optim.Muon` (PyTorch 2.9): work on X = G, or Gᵀ when rows > cols (so X X ᵀ
 * is the smaller Gram matrix); `X ← X / max(‖X‖_F, ε)`; then `steps` times
 * `A = X Xᵀ`, `B = b·A + c·A²`, `X ← a·X + B X`; transpose back.
 *
 * Each step maps every singular value σ of X to p(σ) = aσ + bσ³ + cσ⁵ and keeps the singular
 * vectors, so the result is U·p⁵(Σ/‖G‖_F)·Vᵀ: not exactly U Vᵀ, but with the default coefficients and
 * 5 steps every singular value with σ/‖G‖_F ≥ 0.002 lands in [0.68, 1.21] (see the Muon tests).
 * Returns a new array of G's dtype; the arithmetic is stored in that dtype (PyTorch uses bfloat16).
 */
export function newtonSchulz(
  g: FloatArray,
  rows: number,
  cols: number,
  options: NewtonSchulzOptions = {},
): FloatArray {
  const owner = "newtonSchulz";
  if (!isFloatArray(g))
    throw new TypeError(`${owner}: g must be a Float32Array or Float64Array, got ${showValue(g)}`);
  checkInteger(owner, "rows", rows, "[0, inf)");
  checkInteger(owner, "cols", cols, "[0, inf)");
  if (rows * cols !== g.length) {
    throw new RangeError(`${owner}: a ${rows}×${cols} matrix has ${rows * cols} entries, g has ${g.length}`);
  }
  checkOptions(owner, options, ["coefficients", "steps", "eps"]);
  const coefficients = options.coefficients ?? NS_COEFFICIENTS;
  if (!Array.isArray(coefficients) || coefficients.length !== 3) {
    throw new RangeError(
      `${owner}: coefficients must be three numbers [a, b, c], got ${showValue(coefficients)}`,
    );
  }
  const [a, b, c] = coefficients.map((v, i) =>
    checkNumber(owner, `coefficients[${i}]`, v, "(-inf, inf)"),
  ) as [number, number, number];
  const steps = checkInteger(owner, "steps", options.steps ?? 5, "[0, 100)");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-7, "(0, inf)");
  const make = (n: number): FloatArray =>
    g instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  const transposed = rows > cols;
  const k = transposed ? cols : rows; // X is k × l with k ≤ l
  const l = transposed ? rows : cols;
  let x = make(k * l);
  if (transposed) {
    for (let i = 0; i < k; i++) for (let j = 0; j < l; j++) x[i * l + j] = g[j * cols + i]!;
  } else x.set(g);
  let sq = 0;
  for (let j = 0; j < x.length; j++) sq += x[j]! * x[j]!;
  const norm = Math.max(Math.sqrt(sq), eps);
  for (let j = 0; j < x.length; j++) x[j]! /= norm;

  const gram = make(k * k);
  const update = make(k * k);
  let next = make(k * l);
  for (let step = 0; step < steps; step++) {
    // A = X Xᵀ (symmetric)
    for (let i = 0; i < k; i++) {
      for (let j = i; j < k; j++) {
        let s = 0;
        for (let t = 0; t < l; t++) s += x[i * l + t]! * x[j * l + t]!;
        gram[i * k + j] = s;
        gram[j * k + i] = s;
      }
    }
    // B = b·A + c·A·A
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += gram[i * k + t]! * gram[t * k + j]!;
        update[i * k + j] = b * gram[i * k + j]! + c * s;
      }
    }
    // X ← a·X + B·X
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < l; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += update[i * k + t]! * x[t * l + j]!;
        next[i * l + j] = a * x[i * l + j]! + s;
      }
    }
    [x, next] = [next, x];
  }
  if (!transposed) return x;
  const out = make(rows * cols);
  for (let i = 0; i < k; i++) for (let j = 0; j < l; j++) out[j * cols + i] = x[i * l + j]!;
  return out;
}
