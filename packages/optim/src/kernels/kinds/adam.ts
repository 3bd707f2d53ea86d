/**
 * Adam / AdamW (AMSGrad, L2, decoupled decay, maximize): everything the fast paths know about the
 * kind — its buffers, per-step scalars, JS loops and WASM parameters (see `kind.ts`).
 */
import type { Hyper } from "../../hyper.js";
import { fromBfloat16, roundingBits, toBfloat16 } from "../../precision/bfloat16.js";
import type { FloatArray } from "../../tree.js";
import {
  commonScalars,
  type FusedKind,
  f32,
  f64,
  flag,
  type GpuKernel,
  type Scalars,
  type SpecOf,
  type StepState,
  type WasmParam,
} from "./kind.js";
import {
  type AdamScalarsBase,
  ELEMENT,
  LOOP_ADAM,
  LOOP_COMMON,
  loopAdam,
  loopCommon,
  resolveAdam,
  WASM_AVERAGE,
  WASM_BETAS,
  WASM_BETAS64,
  WASM_FLAGS,
  WASM_INT8_TABLES,
  WASM_ROUNDING,
  WASM_SCALARS,
  WASM_SCALARS64,
  type WordsLoop,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface AdamScalars extends Scalars, AdamScalarsBase {
  amsgrad: boolean;
}

const BUFFERS = { expAvg: "always", expAvgSq: "always", maxExpAvgSq: "optional" } as const;

function scalars(): AdamScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc1: 1, bc2Sqrt: 1, eps: 0, amsgrad: false };
}

function resolve(spec: SpecOf<"adam">, s: AdamScalars, at: StepState): void {
  resolveAdam(spec, s, at.count);
  s.amsgrad = spec.amsgrad;
}

function hyperparams(spec: SpecOf<"adam">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_ADAM, amsgrad: false };

function adamAt(
  p: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray,
  j: number,
  gj: number,
  pj: number,
  mj: number,
  vj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  bc1: number,
  bc2Sqrt: number,
  eps: number,
  amsgrad: boolean,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  mj = st(b1 * mj + c1 * u, f32);
  m[j] = mj;
  vj = st(b2 * vj + c2 * u * u, f32);
  v[j] = vj;
  if (amsgrad) {
    const x = vmax[j]!;
    if (vj > x) vmax[j] = vj;
    else vj = x;
  }
  apply(p, j, pj, st(mj / bc1 / (Math.sqrt(vj) / bc2Sqrt + eps), f32), wd, step, f32);
}

type AdamLoop = (
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adam32: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad, true);
};

// biome-ignore format: as above
const adam64: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad, false);
};

// The common case without clipping, maximize or AMSGrad: those flags as constants.
// biome-ignore format: as above
const adamSimple32: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, 1, false, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, false, true);
};

// biome-ignore format: as above
const adamSimple64: AdamLoop = (p, g, m, v, vmax, from, to, k) => {
  const { l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  for (let j = from; j < to; j++) adamAt(p, m, v, vmax, j, g[j]!, p[j]!, m[j]!, v[j]!, 1, false, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, false, false);
};

// ---- JS, moments stored as bfloat16 ----

/**
 * Adam over [from, to) with bfloat16 moments, as the chain's `blockwise` step computes each element:
 * the moments from their decoded values in float64, each stored with its stochastic rounding (the
 * element's index in its leaf is `first + j − from`), the update from what was stored. AMSGrad's
 * maximum compares the unrounded v and is rounded with a key of its own (a stored value rounds to
 * itself). The scalars are read into locals first, as the float loops do; `f32` is the params' dtype.
 */
const adamWords: WordsLoop<typeof BUFFERS> = (p, g, b, from, to, first, keys, f32) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, amsgrad } = K;
  const m = b.expAvg;
  const v = b.expAvgSq;
  const x = b.maxExpAvgSq ?? b.expAvgSq;
  const keyM = keys[0]!;
  const keyV = keys[1]!;
  const keyX = keys[2]!;
  for (let j = from; j < to; j++) {
    const idx = first + j - from;
    const pj = p[j]!;
    const u = input(g[j]!, pj, coef, negate, l2, f32);
    const mh = toBfloat16(b1 * fromBfloat16(m[j]!) + c1 * u, roundingBits(keyM, idx));
    m[j] = mh;
    const vRaw = b2 * fromBfloat16(v[j]!) + c2 * u * u;
    let vh = toBfloat16(vRaw, roundingBits(keyV, idx));
    v[j] = vh;
    if (amsgrad) {
      const old = fromBfloat16(x[j]!);
      vh = toBfloat16(vRaw > old ? vRaw : old, roundingBits(keyX, idx));
      x[j] = vh;
    }
    const upd = st(fromBfloat16(mh) / bc1 / (Math.sqrt(fromBfloat16(vh)) / bc2Sqrt + eps), f32);
    apply(p, j, pj, upd, wd, step, f32);
  }
};

/** The WASM parameters after the betas, in both kernels: the bias corrections' inverses, ε, the flags. */
const WASM_ADAM: readonly WasmParam<AdamScalars>[] = [
  f32("ibc1", (s) => 1 / s.bc1),
  f32("ibc2s", (s) => 1 / s.bc2Sqrt),
  f32("eps", (s) => s.eps),
  flag("amsgrad", (s) => s.amsgrad),
  ...WASM_FLAGS,
  ...WASM_AVERAGE,
];

/** The 8-bit kernel's parameters: all in float64, as the chain computes (the bytes stored are the chain's). */
const WASM_ADAM_INT8: readonly WasmParam<AdamScalars>[] = [
  ...WASM_SCALARS64,
  ...WASM_BETAS64,
  f64("bc1", (s) => s.bc1),
  f64("bc2s", (s) => s.bc2Sqrt),
  f64("eps", (s) => s.eps),
  flag("amsgrad", (s) => s.amsgrad),
  ...WASM_FLAGS,
  ...WASM_ROUNDING,
  ...WASM_INT8_TABLES,
];

/**
 * On the GPU (WGSL, float32, the order of the WASM kernel): the moments, AMSGrad's maximum of the new
 * v (a NaN v keeps it, as the reference's `v > max ? v : max`), then (m / (√v·(1/bc2) + ε))·(1/bc1).
 */
const GPU: GpuKernel<AdamScalars> = {
  uniforms: [
    ...WASM_BETAS,
    f32("ibc1", (s) => 1 / s.bc1),
    f32("ibc2s", (s) => 1 / s.bc2Sqrt),
    f32("eps", (s) => s.eps),
  ],
  buffers: (s) => ({
    expAvg: "uniforms.b1 * expAvg + uniforms.c1 * u",
    expAvgSq: "uniforms.b2 * expAvgSq + (uniforms.c2 * u) * u",
    ...(s.amsgrad ? { maxExpAvgSq: "sel(maxExpAvgSq, new_expAvgSq, gt(new_expAvgSq, maxExpAvgSq))" } : {}),
  }),
  direction: (s) =>
    `(new_expAvg / (sqrt(${s.amsgrad ? "new_maxExpAvgSq" : "new_expAvgSq"}) * uniforms.ibc2s + uniforms.eps)) * uniforms.ibc1`,
};

export const adam = {
  kind: "adam",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      loopAdam(k, s);
      const vmax = b.maxExpAvgSq;
      k.amsgrad = s.amsgrad && vmax !== undefined;
      // Without AMSGrad, `vmax` is never touched: any array of the dtype stands in.
      const simple = k.coef === 1 && !k.negate && !k.amsgrad;
      const f32 = p instanceof Float32Array;
      const loop = simple ? (f32 ? adamSimple32 : adamSimple64) : f32 ? adam32 : adam64;
      loop(p, g, b.expAvg, b.expAvgSq, vmax ?? b.expAvgSq, from, to, k);
    },
  },
  wasm: {
    params: [...WASM_SCALARS, ...WASM_BETAS, ...WASM_ADAM],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        const k = K;
        loopCommon(k, s);
        loopAdam(k, s);
        k.amsgrad = s.amsgrad && b.maxExpAvgSq !== undefined;
        adamWords(p, g, b, from, to, s.rounding.first, s.rounding.keys, p instanceof Float32Array);
      },
    },
    wasm: {
      // the moments' betas in float64, as the chain computes them (the stored bits are the chain's)
      params: [...WASM_SCALARS, ...WASM_BETAS64, ...WASM_ADAM, ...WASM_ROUNDING],
    },
  },
  int8: { wasm: { params: WASM_ADAM_INT8 } },
  gpu: GPU,
} satisfies FusedKind<"adam", AdamScalars, typeof BUFFERS>;
