/**
 * LAMB (Adam's direction plus decay, scaled per leaf by the trust ratio ‖p‖/‖r + λp‖; maximize):
 * everything the fast paths know about the kind (see `kind.ts`). The trust ratio needs each leaf's
 * norms before its update, so the kind is `leafwise` (one work item per leaf, packed or not) and its
 * JS loop makes two passes per leaf: the moments, the direction (kept in the optimizer's gradient
 * buffer, which the chain overwrites too) and the norms; then the update. The WASM kernel is the
 * first pass (packed params only); the engine sums the norms and runs `lambApply`.
 */
import type { Hyper } from "../../hyper.js";
import { fromBfloat16, roundingBits, toBfloat16 } from "../../precision/bfloat16.js";
import type { FloatArray } from "../../tree.js";
import {
  commonScalars,
  type FusedKind,
  f32,
  type GpuKernel,
  type Scalars,
  type SpecOf,
  type StepState,
  type WasmParam,
} from "./kind.js";
import {
  type AdamScalarsBase,
  ELEMENT,
  INT8_ADAM_ONLY,
  LOOP_ADAM,
  LOOP_COMMON,
  loopAdam,
  loopCommon,
  resolveAdam,
  WASM_AVERAGE,
  WASM_BETAS,
  WASM_BETAS64,
  WASM_FLAGS,
  WASM_ROUNDING,
  WASM_SCALARS,
  type WordsLoop,
} from "./shared.js";

// Bound once: see ELEMENT.
const { input, st } = ELEMENT;

export interface LambScalars extends Scalars, AdamScalarsBase {}

const BUFFERS = { expAvg: "always", expAvgSq: "always" } as const;

function scalars(): LambScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc1: 1, bc2Sqrt: 1, eps: 0 };
}

function resolve(spec: SpecOf<"lamb">, s: LambScalars, at: StepState): void {
  resolveAdam(spec, s, at.count, spec.biasCorrection);
}

function hyperparams(spec: SpecOf<"lamb">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_ADAM };

/**
 * The first pass at element j: the moments, then r + λp as the chain stores it (Adam's direction,
 * then the decay when on), kept in the optimizer's gradient buffer until the second pass (the chain
 * overwrites its gradient buffer too). Returns it.
 */
// biome-ignore format: one line per argument group
function firstAt(p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, j: number, coef: number, negate: boolean,
  wd: number, b1: number, c1: number, b2: number, c2: number, bc1: number, bc2Sqrt: number, eps: number, f32: boolean): number {
  const pj = p[j]!;
  const u = input(g[j]!, pj, coef, negate, 0, f32);
  const mj = st(b1 * m[j]! + c1 * u, f32);
  m[j] = mj;
  const vj = st(b2 * v[j]! + c2 * u * u, f32);
  v[j] = vj;
  let x = st(mj / bc1 / (Math.sqrt(vj) / bc2Sqrt + eps), f32);
  if (wd !== 0) x = st(x + wd * pj, f32);
  g[j] = x;
  return x;
}

/** The second pass at element j: x·ratio (when scaled, as the chain: not when a norm is 0), then −lr. */
function secondAt(
  p: FloatArray,
  g: FloatArray,
  j: number,
  scaled: boolean,
  ratio: number,
  step: number,
  f32: boolean,
): void {
  const x = scaled ? st(g[j]! * ratio, f32) : g[j]!;
  p[j] = p[j]! + st(x * step, f32);
}

type Loop = (
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// The two loops differ only in the literal they pass (see shared.ts): one leaf, [from, to).
// biome-ignore format: one line per pass shows it
const lamb32: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  let pSq = 0;
  let uSq = 0;
  for (let j = from; j < to; j++) { const pj = p[j]!; const x = firstAt(p, g, m, v, j, coef, negate, wd, b1, c1, b2, c2, bc1, bc2Sqrt, eps, true); pSq += pj * pj; uSq += x * x; }
  const pNorm = Math.sqrt(pSq);
  const uNorm = Math.sqrt(uSq);
  const scaled = pNorm !== 0 && uNorm !== 0;
  for (let j = from; j < to; j++) secondAt(p, g, j, scaled, pNorm / uNorm, step, true);
};

// biome-ignore format: as above
const lamb64: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = k;
  let pSq = 0;
  let uSq = 0;
  for (let j = from; j < to; j++) { const pj = p[j]!; const x = firstAt(p, g, m, v, j, coef, negate, wd, b1, c1, b2, c2, bc1, bc2Sqrt, eps, false); pSq += pj * pj; uSq += x * x; }
  const pNorm = Math.sqrt(pSq);
  const uNorm = Math.sqrt(uSq);
  const scaled = pNorm !== 0 && uNorm !== 0;
  for (let j = from; j < to; j++) secondAt(p, g, j, scaled, pNorm / uNorm, step, false);
};

// ---- JS, moments stored as bfloat16 ----

/**
 * LAMB over one leaf [from, to) with bfloat16 moments, as the chain computes it: each moment from its
 * decoded value, stored with its stochastic rounding (the element's index in its leaf is first + j −
 * from), the direction from what was stored (+ λp), kept in the gradient buffer with the norms
 * summed; then the update scaled by the trust ratio, as the float loops' second pass.
 */
const lambWords: WordsLoop<typeof BUFFERS> = (p, g, b, from, to, first, keys, f32) => {
  const { coef, negate, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps } = K;
  const m = b.expAvg;
  const v = b.expAvgSq;
  const [keyM, keyV] = [keys[0]!, keys[1]!];
  let pSq = 0;
  let uSq = 0;
  for (let j = from; j < to; j++) {
    const idx = first + j - from;
    const pj = p[j]!;
    const u = input(g[j]!, pj, coef, negate, 0, f32);
    const mh = toBfloat16(b1 * fromBfloat16(m[j]!) + c1 * u, roundingBits(keyM, idx));
    m[j] = mh;
    const vh = toBfloat16(b2 * fromBfloat16(v[j]!) + c2 * u * u, roundingBits(keyV, idx));
    v[j] = vh;
    let x = st(fromBfloat16(mh) / bc1 / (Math.sqrt(fromBfloat16(vh)) / bc2Sqrt + eps), f32);
    if (wd !== 0) x = st(x + wd * pj, f32);
    g[j] = x;
    pSq += pj * pj;
    uSq += x * x;
  }
  const pNorm = Math.sqrt(pSq);
  const uNorm = Math.sqrt(uSq);
  const scaled = pNorm !== 0 && uNorm !== 0;
  for (let j = from; j < to; j++) secondAt(p, g, j, scaled, pNorm / uNorm, step, f32);
};

/** The WASM parameters after the betas, in both kernels: the bias corrections' inverses, ε, the flags. */
const WASM_LAMB: readonly WasmParam<LambScalars>[] = [
  f32("ibc1", (s) => 1 / s.bc1),
  f32("ibc2s", (s) => 1 / s.bc2Sqrt),
  f32("eps", (s) => s.eps),
  ...WASM_FLAGS,
  ...WASM_AVERAGE,
];

/**
 * On the GPU (WGSL/GLSL, float32): Adam's moments; the update m̂/(√v̂ + ε) (+ λp), scaled by the
 * variable's trust ratio (TF.js's reductions between the programs), then −lr.
 */
const GPU: GpuKernel<LambScalars> = {
  uniforms: [
    ...WASM_BETAS,
    f32("ibc1", (s) => 1 / s.bc1),
    f32("ibc2s", (s) => 1 / s.bc2Sqrt),
    f32("eps", (s) => s.eps),
  ],
  buffers: () => ({
    expAvg: "uniforms.b1 * expAvg + uniforms.c1 * u",
    expAvgSq: "uniforms.b2 * expAvgSq + (uniforms.c2 * u) * u",
  }),
  direction: () => "(new_expAvg * uniforms.ibc1) / (sqrt(new_expAvgSq) * uniforms.ibc2s + uniforms.eps)",
  trustRatio: true,
};

export const lamb = {
  kind: "lamb",
  buffers: BUFFERS,
  leafwise: true,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      loopAdam(k, s);
      (p instanceof Float32Array ? lamb32 : lamb64)(p, g, b.expAvg, b.expAvgSq, from, to, k);
    },
  },
  // Packed params only (on staged ones a leaf spans blocks, and its direction cannot wait in the
  // scratch): the kernel writes the direction into the gradient buffer; the engine then takes the
  // leaf's two norms and applies x·ratio·(−lr) (`lambApply`).
  wasm: {
    params: [...WASM_SCALARS, ...WASM_BETAS, ...WASM_LAMB],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        loopCommon(K, s);
        loopAdam(K, s);
        lambWords(p, g, b, from, to, s.rounding.first, s.rounding.keys, p instanceof Float32Array);
      },
    },
    // packed params only, as the float kernel; the moments' betas in float64, as the chain computes them
    wasm: {
      params: [...WASM_SCALARS, ...WASM_BETAS64, ...WASM_LAMB, ...WASM_ROUNDING],
    },
  },
  int8: INT8_ADAM_ONLY,
  gpu: GPU,
} satisfies FusedKind<"lamb", LambScalars, typeof BUFFERS>;
