/**
 * Adadelta (L2, maximize): everything the fast paths know about the kind — its buffers, per-step
 * scalars, JS loops and WASM parameters (see `kind.ts`).
 */
import type { Hyper } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import { commonScalars, type FusedKind, f32, type GpuKernel, type Scalars, type SpecOf } from "./kind.js";
import { ELEMENT, LOOP_COMMON, loopCommon, WASM_AVERAGE, WASM_FLAGS, WASM_SCALARS } from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface AdadeltaScalars extends Scalars {
  rho: number;
  eps: number;
}

const BUFFERS = { squareAvg: "always", accDelta: "always" } as const;

function scalars(): AdadeltaScalars {
  return { ...commonScalars(), rho: 0, eps: 0 };
}

function resolve(spec: SpecOf<"adadelta">, s: AdadeltaScalars): void {
  s.rho = spec.rho;
  s.eps = spec.eps;
}

function hyperparams(spec: SpecOf<"adadelta">): [string, Hyper][] {
  return [
    ["rho", spec.rho],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, rho: 0, c: 0, eps: 0 };

// biome-ignore format: one line per argument group
function adadeltaAt(p: FloatArray, s: FloatArray, d: FloatArray, j: number, gj: number, pj: number, sj: number, dj: number,
  coef: number, negate: boolean, l2: number, wd: number, step: number, rho: number, c: number, eps: number, f32: boolean): void {
  const u = input(gj, pj, coef, negate, l2, f32);
  sj = st(rho * sj + c * u * u, f32);
  s[j] = sj;
  const delta = st((Math.sqrt(dj + eps) / Math.sqrt(sj + eps)) * u, f32);
  d[j] = st(rho * dj + c * delta * delta, f32);
  apply(p, j, pj, delta, wd, step, f32);
}

type Loop = (
  p: FloatArray,
  g: FloatArray,
  s: FloatArray,
  d: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const adadelta32: Loop = (p, g, s, d, from, to, k) => {
  const { coef, negate, l2, wd, step, rho, c, eps } = k;
  for (let j = from; j < to; j++) adadeltaAt(p, s, d, j, g[j]!, p[j]!, s[j]!, d[j]!, coef, negate, l2, wd, step, rho, c, eps, true);
};

// biome-ignore format: as above
const adadelta64: Loop = (p, g, s, d, from, to, k) => {
  const { coef, negate, l2, wd, step, rho, c, eps } = k;
  for (let j = from; j < to; j++) adadeltaAt(p, s, d, j, g[j]!, p[j]!, s[j]!, d[j]!, coef, negate, l2, wd, step, rho, c, eps, false);
};

/** Δ = √(acc + ε)/√(s + ε)·u, from the old accumulated Δ² and the new square average. */
const DELTA = "((sqrt(accDelta + uniforms.eps) / sqrt(new_squareAvg + uniforms.eps)) * u)";

/**
 * On the GPU (WGSL/GLSL, float32): s ← ρ·s + (1 − ρ)·u²; Δ from the old acc; acc ← ρ·acc + (1 − ρ)·Δ²;
 * the direction Δ (the params' program recomputes it from the old acc).
 */
const GPU: GpuKernel<AdadeltaScalars> = {
  uniforms: [f32("rho", (s) => s.rho), f32("c", (s) => 1 - s.rho), f32("eps", (s) => s.eps)],
  buffers: () => ({
    squareAvg: "uniforms.rho * squareAvg + (uniforms.c * u) * u",
    accDelta: `uniforms.rho * accDelta + (uniforms.c * ${DELTA}) * ${DELTA}`,
  }),
  direction: () => DELTA,
};

export const adadelta = {
  kind: "adadelta",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      k.rho = s.rho;
      k.c = 1 - s.rho;
      k.eps = s.eps;
      (p instanceof Float32Array ? adadelta32 : adadelta64)(p, g, b.squareAvg, b.accDelta, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      f32("rho", (s) => s.rho),
      f32("c", (s) => 1 - s.rho),
      f32("eps", (s) => s.eps),
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: { unsupported: "adadelta has no stateDtype" },
  int8: { unsupported: "adadelta has no stateDtype" },
  gpu: GPU,
} satisfies FusedKind<"adadelta", AdadeltaScalars, typeof BUFFERS>;
