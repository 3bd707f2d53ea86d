/**
 * Adamax (Adam under the infinity norm; L2, maximize): everything the fast paths know about the
 * kind — its buffers, per-step scalars, JS loops and WASM parameters (see `kind.ts`).
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
import { ELEMENT, LOOP_COMMON, loopCommon, WASM_AVERAGE, WASM_FLAGS, WASM_SCALARS } from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface AdamaxScalars extends Scalars {
  b1: number;
  b2: number;
  bc1: number;
  eps: number;
}

const BUFFERS = { expAvg: "always", expInf: "always" } as const;

function scalars(): AdamaxScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc1: 1, eps: 0 };
}

function resolve(spec: SpecOf<"adamax">, s: AdamaxScalars, at: StepState): void {
  const b1 = valueAt(spec.owner, "betas[0]", spec.beta1, at.count, "[0, 1)");
  s.b1 = b1;
  s.b2 = spec.beta2;
  s.bc1 = 1 - b1 ** (at.count + 1);
  s.eps = spec.eps;
}

function hyperparams(spec: SpecOf<"adamax">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, b1: 0, c1: 0, b2: 0, bc1: 1, eps: 0 };

// biome-ignore format: one line per argument group
function adamaxAt(p: FloatArray, m: FloatArray, n: FloatArray, j: number, gj: number, pj: number, mj: number, nj: number,
  coef: number, negate: boolean, l2: number, wd: number, step: number, b1: number, c1: number, b2: number, bc1: number, eps: number, f32: boolean): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  mj = st(b1 * mj + c1 * u, f32);
  m[j] = mj;
  nj = st(Math.max(b2 * nj, Math.abs(u) + eps), f32);
  n[j] = nj;
  apply(p, j, pj, st(mj / nj / bc1, f32), wd, step, f32);
}

type Loop = (
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  n: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adamax32: Loop = (p, g, m, n, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, bc1, eps } = k;
  for (let j = from; j < to; j++) adamaxAt(p, m, n, j, g[j]!, p[j]!, m[j]!, n[j]!, coef, negate, l2, wd, step, b1, c1, b2, bc1, eps, true);
};

// biome-ignore format: as above
const adamax64: Loop = (p, g, m, n, from, to, k) => {
  const { coef, negate, l2, wd, step, b1, c1, b2, bc1, eps } = k;
  for (let j = from; j < to; j++) adamaxAt(p, m, n, j, g[j]!, p[j]!, m[j]!, n[j]!, coef, negate, l2, wd, step, b1, c1, b2, bc1, eps, false);
};

/** β2·n and |u| + ε, whose maximum is the new n. */
const SCALED = "uniforms.b2 * expInf";
const FLOOR = "(abs(u) + uniforms.eps)";

/**
 * On the GPU (WGSL/GLSL, float32): m ← β1·m + (1 − β1)·u; n ← max(β2·n, |u| + ε) with Math.max's
 * NaN (a NaN operand makes the sum NaN: both are ≥ 0 otherwise); the direction m/n/bc1.
 */
const GPU: GpuKernel<AdamaxScalars> = {
  uniforms: [
    f32("b1", (s) => s.b1),
    f32("c1", (s) => 1 - s.b1),
    f32("b2", (s) => s.b2),
    f32("ibc1", (s) => 1 / s.bc1),
    f32("eps", (s) => s.eps),
  ],
  buffers: () => ({
    expAvg: "uniforms.b1 * expAvg + uniforms.c1 * u",
    expInf: `sel(max(${SCALED}, ${FLOOR}), ${SCALED} + ${FLOOR}, isNan(${SCALED} + ${FLOOR}))`,
  }),
  direction: () => "(new_expAvg / new_expInf) * uniforms.ibc1",
};

export const adamax = {
  kind: "adamax",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      k.b1 = s.b1;
      k.c1 = 1 - s.b1;
      k.b2 = s.b2;
      k.bc1 = s.bc1;
      k.eps = s.eps;
      (p instanceof Float32Array ? adamax32 : adamax64)(p, g, b.expAvg, b.expInf, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      f32("b1", (s) => s.b1),
      f32("c1", (s) => 1 - s.b1),
      f32("b2", (s) => s.b2),
      f32("ibc1", (s) => 1 / s.bc1),
      f32("eps", (s) => s.eps),
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: { unsupported: "adamax has no stateDtype" },
  int8: { unsupported: "adamax has no stateDtype" },
  gpu: GPU,
} satisfies FusedKind<"adamax", AdamaxScalars, typeof BUFFERS>;
