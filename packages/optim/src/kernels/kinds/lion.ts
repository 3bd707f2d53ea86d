/**
 * Lion (decoupled decay, maximize): everything the fast paths know about the kind — its buffers,
 * per-step scalars, JS loops and WASM parameters (see `kind.ts`).
 */
import { type Hyper, valueAt } from "../../hyper.js";
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
  LOOP_BETAS,
  LOOP_COMMON,
  loopBetas,
  loopCommon,
  WASM_AVERAGE,
  WASM_BETAS,
  WASM_BETAS64,
  WASM_FLAGS,
  WASM_ROUNDING,
  WASM_SCALARS,
  type WordLoop,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, st } = ELEMENT;

export interface LionScalars extends Scalars {
  b1: number;
  b2: number;
}

const BUFFERS = { expAvg: "always" } as const;

function scalars(): LionScalars {
  return { ...commonScalars(), b1: 0, b2: 0 };
}

function resolve(spec: SpecOf<"lion">, s: LionScalars, at: StepState): void {
  s.b1 = valueAt(spec.owner, "betas[0]", spec.beta1, at.count, "[0, 1)");
  s.b2 = spec.beta2;
}

function hyperparams(spec: SpecOf<"lion">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_BETAS };

/** Lion: the sign of β1·m + (1−β1)·u, then m ← β2·m + (1−β2)·u. */
function lionAt(
  p: FloatArray,
  m: FloatArray,
  j: number,
  gj: number,
  pj: number,
  mj: number,
  coef: number,
  negate: boolean,
  wd: number,
  step: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  f32: boolean,
): void {
  const u = input(gj, pj, coef, negate, 0, f32);
  const c = b1 * mj + c1 * u;
  m[j] = st(b2 * mj + c2 * u, f32);
  apply(p, j, pj, Math.sign(c), wd, step, f32);
}

type LionLoop = (p: FloatArray, g: FloatArray, m: FloatArray, from: number, to: number, k: typeof K) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const lion32: LionLoop = (p, g, m, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, coef, negate, wd, step, b1, c1, b2, c2, true);
};

// biome-ignore format: as above
const lion64: LionLoop = (p, g, m, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, coef, negate, wd, step, b1, c1, b2, c2, false);
};

// The common case without clipping or maximize: those flags as constants.
// biome-ignore format: as above
const lionSimple32: LionLoop = (p, g, m, from, to, k) => {
  const { wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, 1, false, wd, step, b1, c1, b2, c2, true);
};

// biome-ignore format: as above
const lionSimple64: LionLoop = (p, g, m, from, to, k) => {
  const { wd, step, b1, c1, b2, c2 } = k;
  for (let j = from; j < to; j++) lionAt(p, m, j, g[j]!, p[j]!, m[j]!, 1, false, wd, step, b1, c1, b2, c2, false);
};

/**
 * Lion over [from, to) with its momentum stored as bfloat16, as the chain's `blockwise` step: the
 * sign from the decoded momentum in float64, the momentum stored with its stochastic rounding (the
 * element's index in its leaf is `first + j − from`).
 */
const lionWords: WordLoop = (p, g, m, from, to, first, key, f32) => {
  const { coef, negate, wd, step, b1, c1, b2, c2 } = K;
  for (let j = from; j < to; j++) {
    const pj = p[j]!;
    const u = input(g[j]!, pj, coef, negate, 0, f32);
    const mj = fromBfloat16(m[j]!);
    const c = b1 * mj + c1 * u;
    m[j] = toBfloat16(b2 * mj + c2 * u, roundingBits(key, first + j - from));
    apply(p, j, pj, Math.sign(c), wd, step, f32);
  }
};

/** c = β1·m + (1 − β1)·u, from the old m (WGSL). */
const LION_C = "(uniforms.b1 * expAvg + uniforms.c1 * u)";

/**
 * On the GPU (WGSL, float32): m ← β2·m + (1 − β2)·u; the direction sign(β1·m + (1 − β1)·u) from the
 * old m, a NaN kept (Math.sign's; WGSL's sign leaves NaN unspecified).
 */
const GPU: GpuKernel<LionScalars> = {
  uniforms: WASM_BETAS,
  buffers: () => ({ expAvg: "uniforms.b2 * expAvg + uniforms.c2 * u" }),
  direction: () => `sel(sign(${LION_C}), ${LION_C}, isNan(${LION_C}))`,
};

export const lion = {
  kind: "lion",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      loopCommon(k, s);
      loopBetas(k, s);
      const simple = k.coef === 1 && !k.negate;
      const f32 = p instanceof Float32Array;
      (simple ? (f32 ? lionSimple32 : lionSimple64) : f32 ? lion32 : lion64)(p, g, b.expAvg, from, to, k);
    },
  },
  wasm: {
    params: [...WASM_SCALARS, ...WASM_BETAS, ...WASM_FLAGS, ...WASM_AVERAGE],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        loopCommon(K, s);
        loopBetas(K, s);
        lionWords(p, g, b.expAvg, from, to, s.rounding.first, s.rounding.keys[0]!, p instanceof Float32Array);
      },
    },
    wasm: {
      // the betas in float64, as the chain computes the momentum and its sign
      params: [...WASM_SCALARS, ...WASM_BETAS64, ...WASM_FLAGS, ...WASM_AVERAGE, ...WASM_ROUNDING],
    },
  },
  int8: INT8_ADAM_ONLY,
  gpu: GPU,
} satisfies FusedKind<"lion", LionScalars, typeof BUFFERS>;
