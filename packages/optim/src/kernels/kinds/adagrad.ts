/**
 * Adagrad (L2, decoupled decay, maximize; lr decay is in `lr`): everything the fast paths know
 * about the kind — its buffers, per-step scalars, JS loops and WASM parameters (see `kind.ts`).
 */
import type { Hyper } from "../../hyper.js";
import { fromBfloat16, roundingBits, toBfloat16 } from "../../precision/bfloat16.js";
import type { FloatArray } from "../../tree.js";
import { commonScalars, type FusedKind, f32, type GpuKernel, type Scalars, type SpecOf } from "./kind.js";
import {
  ELEMENT,
  INT8_ADAM_ONLY,
  LOOP_COMMON,
  loopCommon,
  WASM_AVERAGE,
  WASM_FLAGS,
  WASM_ROUNDING,
  WASM_SCALARS,
  type WordLoop,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface AdagradScalars extends Scalars {
  eps: number;
}

const BUFFERS = { sum: "always" } as const;

function scalars(): AdagradScalars {
  return { ...commonScalars(), eps: 0 };
}

function resolve(spec: SpecOf<"adagrad">, s: AdagradScalars): void {
  s.eps = spec.eps;
}

function hyperparams(spec: SpecOf<"adagrad">): [string, Hyper][] {
  return [["eps", spec.eps]];
}

// ---- JS ----

const K = { ...LOOP_COMMON, eps: 0 };

function adagradAt(
  p: FloatArray,
  sum: FloatArray,
  j: number,
  gj: number,
  pj: number,
  sumj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  eps: number,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  sumj = st(sumj + u * u, f32);
  sum[j] = sumj;
  apply(p, j, pj, st(u / (Math.sqrt(sumj) + eps), f32), wd, step, f32);
}

type AdagradLoop = (
  p: FloatArray,
  g: FloatArray,
  sum: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adagrad32: AdagradLoop = (p, g, sum, from, to, k) => {
  const { coef, negate, l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, coef, negate, l2, wd, step, eps, true);
};

// biome-ignore format: as above
const adagrad64: AdagradLoop = (p, g, sum, from, to, k) => {
  const { coef, negate, l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, coef, negate, l2, wd, step, eps, false);
};

// The common case without clipping or maximize: those flags as constants.
// biome-ignore format: as above
const adagradSimple32: AdagradLoop = (p, g, sum, from, to, k) => {
  const { l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, 1, false, l2, wd, step, eps, true);
};

// biome-ignore format: as above
const adagradSimple64: AdagradLoop = (p, g, sum, from, to, k) => {
  const { l2, wd, step, eps } = k;
  for (let j = from; j < to; j++) adagradAt(p, sum, j, g[j]!, p[j]!, sum[j]!, 1, false, l2, wd, step, eps, false);
};

/**
 * Adagrad over [from, to) with its sum of squares stored as bfloat16, as `scaleByRss`'s `blockwise`
 * step: the sum from its decoded value in float64, stored with its stochastic rounding (the
 * element's index in its leaf is `first + j − from`), the step from what was stored.
 */
const adagradWords: WordLoop = (p, g, sum, from, to, first, key, f32) => {
  const { coef, negate, l2, wd, step, eps } = K;
  for (let j = from; j < to; j++) {
    const pj = p[j]!;
    const u = input(g[j]!, pj, coef, negate, l2, f32);
    const sh = toBfloat16(fromBfloat16(sum[j]!) + u * u, roundingBits(key, first + j - from));
    sum[j] = sh;
    apply(p, j, pj, st(u / (Math.sqrt(fromBfloat16(sh)) + eps), f32), wd, step, f32);
  }
};

/** On the GPU (WGSL, float32): s ← s + u², then u / (√s + ε). */
const GPU: GpuKernel<AdagradScalars> = {
  uniforms: [f32("eps", (s) => s.eps)],
  buffers: () => ({ sum: "sum + u * u" }),
  direction: () => "u / (sqrt(new_sum) + uniforms.eps)",
};

export const adagrad = {
  kind: "adagrad",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      k.eps = s.eps;
      const simple = k.coef === 1 && !k.negate;
      const f32 = p instanceof Float32Array;
      const loop = simple ? (f32 ? adagradSimple32 : adagradSimple64) : f32 ? adagrad32 : adagrad64;
      loop(p, g, b.sum, from, to, k);
    },
  },
  wasm: {
    params: [...WASM_SCALARS, f32("eps", (s) => s.eps), ...WASM_FLAGS, ...WASM_AVERAGE],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        loopCommon(K, s);
        K.eps = s.eps;
        adagradWords(p, g, b.sum, from, to, s.rounding.first, s.rounding.keys[0]!, p instanceof Float32Array);
      },
    },
    wasm: {
      params: [...WASM_SCALARS, f32("eps", (s) => s.eps), ...WASM_FLAGS, ...WASM_AVERAGE, ...WASM_ROUNDING],
    },
  },
  int8: INT8_ADAM_ONLY,
  gpu: GPU,
} satisfies FusedKind<"adagrad", AdagradScalars, typeof BUFFERS>;
