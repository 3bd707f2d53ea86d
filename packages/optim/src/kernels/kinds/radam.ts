/**
 * RAdam (Adam with the variance rectification of Liu et al. 2020; L2 or decoupled decay, maximize):
 * everything the fast paths know about the kind — its buffers, per-step scalars, JS loops and WASM
 * parameters (see `kind.ts`).
 */
import type { Hyper } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import {
  commonScalars,
  type FusedKind,
  f32,
  flag,
  type GpuKernel,
  type Scalars,
  type SpecOf,
  type StepState,
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
  WASM_FLAGS,
  WASM_SCALARS,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface RadamScalars extends Scalars, AdamScalarsBase {
  /** ρ_t > 5: the adaptive step, scaled by `rect`; else plain momentum m̂. */
  rectify: boolean;
  rect: number;
}

const BUFFERS = { expAvg: "always", expAvgSq: "always" } as const;

function scalars(): RadamScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc1: 1, bc2Sqrt: 1, eps: 0, rectify: false, rect: 0 };
}

function resolve(spec: SpecOf<"radam">, s: RadamScalars, at: StepState): void {
  resolveAdam(spec, s, at.count);
  const b2 = spec.beta2;
  const t = at.count + 1;
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * t * b2 ** t) / (1 - b2 ** t);
  s.rectify = rhoT > 5;
  s.rect = s.rectify
    ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
    : 0;
}

function hyperparams(spec: SpecOf<"radam">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_ADAM, rectify: false, rect: 0 };

// biome-ignore format: one line per argument group
function radamAt(p: FloatArray, m: FloatArray, v: FloatArray, j: number, gj: number, pj: number, mj: number, vj: number,
  coef: number, negate: boolean, l2: number, wd: number, step: number,
  b1: number, c1: number, b2: number, c2: number, bc1: number, bc2Sqrt: number, eps: number, rectify: boolean, rect: number, f32: boolean): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  mj = st(b1 * mj + c1 * u, f32);
  m[j] = mj;
  vj = st(b2 * vj + c2 * u * u, f32);
  v[j] = vj;
  const mHat = mj / bc1;
  apply(p, j, pj, st(rectify ? mHat * (bc2Sqrt / (Math.sqrt(vj) + eps)) * rect : mHat, f32), wd, step, f32);
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
const radam32: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, rectify, rect } = k;
  for (let j = from; j < to; j++) radamAt(p, m, v, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, rectify, rect, true);
};

// biome-ignore format: as above
const radam64: Loop = (p, g, m, v, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, rectify, rect } = k;
  for (let j = from; j < to; j++) radamAt(p, m, v, j, g[j]!, p[j]!, m[j]!, v[j]!, coef, negate, l2, wd, step, b1, c1, b2, c2, bc1, bc2Sqrt, eps, rectify, rect, false);
};

/**
 * On the GPU (WGSL/GLSL, float32): Adam's moments; while ρ_t > 5 the rectified adaptive step
 * m̂·(√bc2/(√v + ε))·r, else m̂ (the text depends on the step's `rectify`).
 */
const GPU: GpuKernel<RadamScalars> = {
  uniforms: [
    ...WASM_BETAS,
    f32("ibc1", (s) => 1 / s.bc1),
    f32("bc2s", (s) => s.bc2Sqrt),
    f32("eps", (s) => s.eps),
    f32("rect", (s) => s.rect),
  ],
  buffers: () => ({
    expAvg: "uniforms.b1 * expAvg + uniforms.c1 * u",
    expAvgSq: "uniforms.b2 * expAvgSq + (uniforms.c2 * u) * u",
  }),
  direction: (s) =>
    s.rectify
      ? "((new_expAvg * uniforms.ibc1) * (uniforms.bc2s / (sqrt(new_expAvgSq) + uniforms.eps))) * uniforms.rect"
      : "new_expAvg * uniforms.ibc1",
};

export const radam = {
  kind: "radam",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      loopAdam(k, s);
      k.rectify = s.rectify;
      k.rect = s.rect;
      (p instanceof Float32Array ? radam32 : radam64)(p, g, b.expAvg, b.expAvgSq, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      ...WASM_BETAS,
      f32("ibc1", (s) => 1 / s.bc1),
      f32("bc2s", (s) => s.bc2Sqrt),
      f32("eps", (s) => s.eps),
      f32("rect", (s) => s.rect),
      flag("rectify", (s) => s.rectify),
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: { unsupported: "radam has no stateDtype" },
  int8: { unsupported: "radam has no stateDtype" },
  gpu: GPU,
} satisfies FusedKind<"radam", RadamScalars, typeof BUFFERS>;
