/**
 * SGD / SGDW (momentum, dampening, Nesterov, L2, decoupled decay, maximize): everything the fast
 * paths know about the kind — its buffers, per-step scalars, JS loops and WASM parameters (see `kind.ts`).
 */
import type { Hyper } from "../../hyper.js";
import { fromBfloat16, roundingBits, toBfloat16 } from "../../precision/bfloat16.js";
import type { FloatArray } from "../../tree.js";
import {
  commonScalars,
  type FusedKind,
  type GpuKernel,
  type Scalars,
  type SpecOf,
  type StepState,
} from "./kind.js";
import {
  ELEMENT,
  INT8_ADAM_ONLY,
  LOOP_COMMON,
  LOOP_MOMENTUM,
  loopCommon,
  loopMomentum,
  type MomentumScalars,
  momentumScalars,
  resolveMomentum,
  WASM_AVERAGE,
  WASM_FLAGS,
  WASM_MOMENTUM_FLAGS,
  WASM_MOMENTUM_SCALARS,
  WASM_MOMENTUM_SCALARS64,
  WASM_ROUNDING,
  WASM_SCALARS,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, momentum, st } = ELEMENT;

export interface SgdScalars extends Scalars, MomentumScalars {}

const BUFFERS = { momentumBuffer: "optional" } as const;

function scalars(): SgdScalars {
  return { ...commonScalars(), ...momentumScalars() };
}

function resolve(spec: SpecOf<"sgd">, s: SgdScalars, at: StepState): void {
  const trace = at.holders.momentumBuffer;
  resolveMomentum(spec.owner, s, trace, spec.momentum, spec.dampening, spec.nesterov);
}

function hyperparams(spec: SpecOf<"sgd">): [string, Hyper][] {
  return [
    ["momentum", spec.momentum],
    ["dampening", spec.dampening],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_MOMENTUM };

function sgdAt(
  p: FloatArray,
  b: FloatArray,
  j: number,
  gj: number,
  pj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  hasMomentum: boolean,
  mu: number,
  keep: number,
  first: boolean,
  nesterov: boolean,
  f32: boolean,
): void {
  let u = input(gj, pj, coef, negate, l2, f32);
  if (hasMomentum) u = momentum(b, j, u, mu, keep, first, nesterov, f32);
  apply(p, j, pj, u, wd, step, f32);
}

type SgdLoop = (p: FloatArray, g: FloatArray, b: FloatArray, from: number, to: number, k: typeof K) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const sgd32: SgdLoop = (p, g, b, from, to, k) => {
  const { coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov, true);
};

// biome-ignore format: as above
const sgd64: SgdLoop = (p, g, b, from, to, k) => {
  const { coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, coef, negate, l2, wd, step, hasMomentum, mu, keep, first, nesterov, false);
};

// The common case without clipping, maximize or first step, with momentum: the flags as constants.
// biome-ignore format: as above
const sgdSimple32: SgdLoop = (p, g, b, from, to, k) => {
  const { l2, wd, step, mu, keep, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, 1, false, l2, wd, step, true, mu, keep, false, nesterov, true);
};

// biome-ignore format: as above
const sgdSimple64: SgdLoop = (p, g, b, from, to, k) => {
  const { l2, wd, step, mu, keep, nesterov } = k;
  for (let j = from; j < to; j++) sgdAt(p, b, j, g[j]!, p[j]!, 1, false, l2, wd, step, true, mu, keep, false, nesterov, false);
};

/**
 * SGD over [from, to) with its momentum stored as bfloat16, as `trace`'s `blockwise` step: the
 * momentum from its decoded value in float64 (u itself on the first update), stored with its
 * stochastic rounding, then the step from what was stored (Nesterov: u + μ·b). Without momentum,
 * plain SGD.
 */
const sgdWords = (
  p: FloatArray,
  g: FloatArray,
  b: Uint16Array | undefined,
  from: number,
  to: number,
  first: number,
  key: number,
  f32: boolean,
): void => {
  const { coef, negate, l2, wd, step, hasMomentum, mu, keep, first: fresh, nesterov } = K;
  for (let j = from; j < to; j++) {
    const pj = p[j]!;
    let u = input(g[j]!, pj, coef, negate, l2, f32);
    if (hasMomentum) {
      const bh = toBfloat16(
        fresh ? u : mu * fromBfloat16(b![j]!) + keep * u,
        roundingBits(key, first + j - from),
      );
      b![j] = bh;
      const bj = fromBfloat16(bh);
      u = nesterov ? st(u + mu * bj, f32) : bj;
    }
    apply(p, j, pj, u, wd, step, f32);
  }
};

/**
 * On the GPU (WGSL, float32): momentum as `trace` (b ← u on its first update, else μ·b + (1 − dampening)·u),
 * then u + μ·b (Nesterov) or b; without momentum, u itself.
 */
const GPU: GpuKernel<SgdScalars> = {
  uniforms: WASM_MOMENTUM_SCALARS,
  buffers: (s): Record<string, string> =>
    s.hasMomentum
      ? { momentumBuffer: s.first ? "u" : "uniforms.mu * momentumBuffer + uniforms.keep * u" }
      : {},
  direction: (s) =>
    !s.hasMomentum ? "u" : s.nesterov ? "u + uniforms.mu * new_momentumBuffer" : "new_momentumBuffer",
};

export const sgd = {
  kind: "sgd",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      const mb = b.momentumBuffer;
      loopCommon(k, s);
      loopMomentum(k, s, mb);
      const simple = k.coef === 1 && !k.negate && k.hasMomentum && !k.first;
      const f32 = p instanceof Float32Array;
      (simple ? (f32 ? sgdSimple32 : sgdSimple64) : f32 ? sgd32 : sgd64)(p, g, mb ?? p, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      ...WASM_MOMENTUM_SCALARS,
      ...WASM_MOMENTUM_FLAGS,
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        const mb = b.momentumBuffer;
        loopCommon(K, s);
        loopMomentum(K, s, mb as unknown as FloatArray | undefined);
        sgdWords(p, g, mb, from, to, s.rounding.first, s.rounding.keys[0]!, p instanceof Float32Array);
      },
    },
    wasm: {
      // μ and 1 − dampening in float64, as the chain computes the momentum (and Nesterov's step)
      params: [
        ...WASM_SCALARS,
        ...WASM_MOMENTUM_SCALARS64,
        ...WASM_MOMENTUM_FLAGS,
        ...WASM_FLAGS,
        ...WASM_AVERAGE,
        ...WASM_ROUNDING,
      ],
    },
  },
  int8: INT8_ADAM_ONLY,
  gpu: GPU,
} satisfies FusedKind<"sgd", SgdScalars, typeof BUFFERS>;
