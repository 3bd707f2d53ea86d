/**
 * NAdam (Nesterov momentum in Adam, with PyTorch's momentum decay ψ; L2 or decoupled decay,
 * maximize): everything the fast paths know about the kind — its buffers, per-step scalars (the
 * μ product the state carries besides its count), JS loops and WASM parameters (see `kind.ts`).
 */
import { type Hyper, valueAt } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import {
  commonScalars,
  type FusedKind,
  f32,
  type GpuKernel,
  type Scalars,
  type SpecOf,
  type StepState,
} from "./kind.js";
import {
  ELEMENT,
  LOOP_BETAS,
  LOOP_COMMON,
  loopBetas,
  loopCommon,
  WASM_AVERAGE,
  WASM_BETAS,
  WASM_FLAGS,
  WASM_SCALARS,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface NadamScalars extends Scalars {
  b1: number;
  b2: number;
  bc2: number;
  eps: number;
  /** (1 − μ_t)/(1 − Πμ) and μ_{t+1}/(1 − Πμ·μ_{t+1}): the gradient's and the average's weights. */
  cGrad: number;
  cAvg: number;
  /** Πμ after this step (written to the state when the step is done). */
  muProduct: number;
}

const BUFFERS = { expAvg: "always", expAvgSq: "always" } as const;

function scalars(): NadamScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc2: 1, eps: 0, cGrad: 0, cAvg: 0, muProduct: 1 };
}

/** The state object holding NAdam's buffers, which carries the μ product. */
type Holder = { count: number; muProduct: number };

function resolve(spec: SpecOf<"nadam">, s: NadamScalars, at: StepState): void {
  const b1 = valueAt(spec.owner, "betas[0]", spec.beta1, at.count, "[0, 1)");
  const t = at.count + 1;
  const psi = spec.momentumDecay;
  const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
  const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
  const muProduct = (at.holders.expAvg as Holder).muProduct * mu;
  s.b1 = b1;
  s.b2 = spec.beta2;
  s.bc2 = 1 - spec.beta2 ** t;
  s.eps = spec.eps;
  s.cGrad = (1 - mu) / (1 - muProduct);
  s.cAvg = muNext / (1 - muProduct * muNext);
  s.muProduct = muProduct;
}

function commit(s: NadamScalars, at: StepState): void {
  (at.holders.expAvg as Holder).muProduct = s.muProduct;
}

function hyperparams(spec: SpecOf<"nadam">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
    ["momentumDecay", spec.momentumDecay],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_BETAS, bc2: 1, eps: 0, cGrad: 0, cAvg: 0 };

// biome-ignore format: one line per argument group
function nadamAt(p: FloatArray, m: FloatArray, v: FloatArray, j: number, gj: number, pj: number, mj: number, vj: number,
  coef: number, negate: boolean, l2: number, wd: number, step: number,
  b1: number, c1: number, b2: number, c2: number, bc2: number, eps: number, cGrad: number, cAvg: number, f32: boolean): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  mj = st(b1 * mj + c1 * u, f32);
  m[j] = mj;
  vj = st(b2 * vj + c2 * u * u, f32);
  v[j] = vj;
  const d = Math.sqrt(vj / bc2) + eps;
  apply(p, j, pj, st((cGrad * u) / d + (cAvg * mj) / d, f32), wd, step, f32);
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

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const nadam32: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc2, eps, cGrad, cAvg } = k;
  for (let j = from; j < to; j++) nadamAt(p, m, v, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc2, eps, cGrad, cAvg, true);
};

// biome-ignore format: as above
const nadam64: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc2, eps, cGrad, cAvg } = k;
  for (let j = from; j < to; j++) nadamAt(p, m, v, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc2, eps, cGrad, cAvg, false);
};

/**
 * On the GPU (WGSL/GLSL, float32): Adam's moments; the direction (u/d)·cGrad + (m/d)·cAvg with
 * d = √v·(1/√bc2) + ε, as the ops compute it (√v/√bc2: v/bc2 itself can pass float32's range).
 */
const GPU: GpuKernel<NadamScalars> = {
  uniforms: [
    ...WASM_BETAS,
    f32("ibc2s", (s) => 1 / Math.sqrt(s.bc2)),
    f32("eps", (s) => s.eps),
    f32("cGrad", (s) => s.cGrad),
    f32("cAvg", (s) => s.cAvg),
  ],
  buffers: () => ({
    expAvg: "uniforms.b1 * expAvg + uniforms.c1 * u",
    expAvgSq: "uniforms.b2 * expAvgSq + (uniforms.c2 * u) * u",
  }),
  direction: () =>
    "(u / (sqrt(new_expAvgSq) * uniforms.ibc2s + uniforms.eps)) * uniforms.cGrad + (new_expAvg / (sqrt(new_expAvgSq) * uniforms.ibc2s + uniforms.eps)) * uniforms.cAvg",
};

export const nadam = {
  kind: "nadam",
  buffers: BUFFERS,
  scalars,
  resolve,
  commit,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      loopBetas(k, s);
      k.bc2 = s.bc2;
      k.eps = s.eps;
      k.cGrad = s.cGrad;
      k.cAvg = s.cAvg;
      (p instanceof Float32Array ? nadam32 : nadam64)(p, g, b.expAvg, b.expAvgSq, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      ...WASM_BETAS,
      // √v·(1/√bc2): v/bc2 itself can pass float32's range where the reference's float64 does not
      f32("ibc2s", (s) => 1 / Math.sqrt(s.bc2)),
      f32("eps", (s) => s.eps),
      f32("cGrad", (s) => s.cGrad),
      f32("cAvg", (s) => s.cAvg),
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: { unsupported: "nadam has no stateDtype" },
  int8: { unsupported: "nadam has no stateDtype" },
  gpu: GPU,
} satisfies FusedKind<"nadam", NadamScalars, typeof BUFFERS>;
