/**
 * RMSprop (centered, momentum, L2, decoupled decay, maximize): everything the fast paths know about
 * the kind — its buffers, per-step scalars, JS loops and WASM parameters (see `kind.ts`).
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
  type WordsLoop,
} from "./shared.js";

// Bound once: see ELEMENT.
const { apply, input, momentum, st } = ELEMENT;

export interface RmspropScalars extends Scalars, MomentumScalars {
  alpha: number;
  eps: number;
  centered: boolean;
}

const BUFFERS = { squareAvg: "always", gradAvg: "optional", momentumBuffer: "optional" } as const;

function scalars(): RmspropScalars {
  return { ...commonScalars(), ...momentumScalars(), alpha: 0, eps: 0, centered: false };
}

function resolve(spec: SpecOf<"rmsprop">, s: RmspropScalars, at: StepState): void {
  resolveMomentum(spec.owner, s, at.holders.momentumBuffer, spec.momentum, 0, false);
  s.alpha = spec.alpha;
  s.eps = spec.eps;
  s.centered = spec.centered;
}

function hyperparams(spec: SpecOf<"rmsprop">): [string, Hyper][] {
  return [
    ["momentum", spec.momentum],
    ["alpha", spec.alpha],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_MOMENTUM, alpha: 0, ca: 1, eps: 0, centered: false };

function rmspropAt(
  p: FloatArray,
  sq: FloatArray,
  avg: FloatArray,
  b: FloatArray,
  j: number,
  gj: number,
  pj: number,
  sqj: number,
  coef: number,
  negate: boolean,
  l2: number,
  wd: number,
  step: number,
  alpha: number,
  ca: number,
  eps: number,
  centered: boolean,
  hasMomentum: boolean,
  mu: number,
  keep: number,
  first: boolean,
  nesterov: boolean,
  f32: boolean,
): void {
  let u = input(gj, pj, coef, negate, l2, f32);
  sqj = st(alpha * sqj + ca * u * u, f32);
  sq[j] = sqj;
  let variance = sqj;
  if (centered) {
    const a = st(alpha * avg[j]! + ca * u, f32);
    avg[j] = a;
    variance -= a * a;
  }
  u = st(u / (Math.sqrt(variance) + eps), f32);
  if (hasMomentum) u = momentum(b, j, u, mu, keep, first, nesterov, f32);
  apply(p, j, pj, u, wd, step, f32);
}

type RmspropLoop = (
  p: FloatArray,
  g: FloatArray,
  sq: FloatArray,
  avg: FloatArray,
  b: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const rmsprop32: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov, true);
};

// biome-ignore format: as above
const rmsprop64: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep, first, nesterov, false);
};

// The common case without clipping, maximize, centering or momentum: those flags as constants.
// biome-ignore format: as above
const rmspropSimple32: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { l2, wd, step, alpha, ca, eps } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, 1, false, l2, wd, step, alpha, ca, eps, false, false, 0, 0, false, false, true);
};

// biome-ignore format: as above
const rmspropSimple64: RmspropLoop = (p, g, sq, avg, b, from, to, k) => {
  const { l2, wd, step, alpha, ca, eps } = k;
  for (let j = from; j < to; j++) rmspropAt(p, sq, avg, b, j, g[j]!, p[j]!, sq[j]!, 1, false, l2, wd, step, alpha, ca, eps, false, false, 0, 0, false, false, false);
};

// ---- JS, averages and momentum stored as bfloat16 ----

/**
 * RMSprop over [from, to) with bfloat16 state, as the chain computes each element: scaleByRms's
 * averages from their decoded values, each stored with its stochastic rounding (streams 0 and 1 of
 * the leaf), the variance from what was stored (floored at 0: stored apart, s and a can round to
 * s < a²), the scaled gradient rounded as the chain's update leaf; then trace's momentum (its own
 * stream, 2) and its stored value as the update. The element's index in its leaf is first + j − from.
 */
const rmspropWords: WordsLoop<typeof BUFFERS> = (p, g, b, from, to, first, keys, f32) => {
  const { coef, negate, l2, wd, step, alpha, ca, eps, centered, hasMomentum, mu, keep } = K;
  const fresh = K.first;
  const sq = b.squareAvg;
  const avg = b.gradAvg;
  const mb = b.momentumBuffer;
  const [keyS, keyA, keyB] = [keys[0]!, keys[1]!, keys[2]!];
  for (let j = from; j < to; j++) {
    const idx = first + j - from;
    const pj = p[j]!;
    let u = input(g[j]!, pj, coef, negate, l2, f32);
    const sh = toBfloat16(alpha * fromBfloat16(sq[j]!) + ca * u * u, roundingBits(keyS, idx));
    sq[j] = sh;
    let variance = fromBfloat16(sh);
    if (centered) {
      const ah = toBfloat16(alpha * fromBfloat16(avg![j]!) + ca * u, roundingBits(keyA, idx));
      avg![j] = ah;
      const a = fromBfloat16(ah);
      variance = Math.max(variance - a * a, 0);
    }
    u = st(u / (Math.sqrt(variance) + eps), f32);
    if (hasMomentum) {
      const bh = toBfloat16(fresh ? u : mu * fromBfloat16(mb![j]!) + keep * u, roundingBits(keyB, idx));
      mb![j] = bh;
      u = fromBfloat16(bh);
    }
    apply(p, j, pj, u, wd, step, f32);
  }
};

/** The loop scalars from the step's: RMSprop's own after the common and momentum ones. */
function loopRmsprop(
  k: typeof K,
  s: RmspropScalars,
  avg: unknown,
  mb: FloatArray | Uint16Array | undefined,
): void {
  loopCommon(k, s);
  loopMomentum(k, s, mb as FloatArray | undefined);
  k.alpha = s.alpha;
  k.ca = 1 - s.alpha;
  k.eps = s.eps;
  k.centered = s.centered && avg !== undefined;
}

/**
 * RMSprop's preconditioned u in WGSL, from the new averages: u / (√v + ε), v the square average, or
 * centered s − a² — an infinite s with a finite a kept infinite, as in float64 (not ∞ − ∞ when a²
 * overflows float32; WGSL has no isinf: ∞ is the one value above float32's largest; `V`, `&`: see
 * GpuKernel — a shader that does not compile leaves its outputs unwritten, silently: the webgpu test
 * caught it as garbage state).
 */
function preconditioned(centered: boolean): string {
  const v = centered
    ? "sel(new_squareAvg - new_gradAvg * new_gradAvg, new_squareAvg, both(isInf(new_squareAvg), finite(new_gradAvg)))"
    : "new_squareAvg";
  return `(u / (sqrt(${v}) + uniforms.eps))`;
}

/**
 * On the GPU (WGSL, float32): the square average, the centered average, then momentum (as `trace`)
 * on the preconditioned u.
 */
const GPU: GpuKernel<RmspropScalars> = {
  uniforms: [
    f32("alpha", (s) => s.alpha),
    f32("ca", (s) => 1 - s.alpha),
    f32("eps", (s) => s.eps),
    ...WASM_MOMENTUM_SCALARS,
  ],
  buffers: (s) => {
    const out: Record<string, string> = { squareAvg: "uniforms.alpha * squareAvg + (uniforms.ca * u) * u" };
    if (s.centered) out.gradAvg = "uniforms.alpha * gradAvg + uniforms.ca * u";
    if (s.hasMomentum) {
      const pre = preconditioned(s.centered);
      out.momentumBuffer = s.first ? pre : `uniforms.mu * momentumBuffer + uniforms.keep * ${pre}`;
    }
    return out;
  },
  direction: (s) => {
    const pre = preconditioned(s.centered);
    return !s.hasMomentum
      ? pre
      : s.nesterov
        ? `${pre} + uniforms.mu * new_momentumBuffer`
        : "new_momentumBuffer";
  },
};

export const rmsprop = {
  kind: "rmsprop",
  buffers: BUFFERS,
  scalars,
  resolve,
  hyperparams,
  js: {
    run(p, g, b, from, to, s) {
      const k = K;
      const { squareAvg: sq, gradAvg: avg, momentumBuffer: mb } = b;
      loopRmsprop(k, s, avg, mb);
      const simple = k.coef === 1 && !k.negate && !k.centered && !k.hasMomentum;
      const f32 = p instanceof Float32Array;
      const loop = simple ? (f32 ? rmspropSimple32 : rmspropSimple64) : f32 ? rmsprop32 : rmsprop64;
      loop(p, g, sq, avg ?? sq, mb ?? sq, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      f32("alpha", (s) => s.alpha),
      f32("ca", (s) => 1 - s.alpha),
      f32("eps", (s) => s.eps),
      ...WASM_MOMENTUM_SCALARS,
      flag("centered", (s) => s.centered),
      ...WASM_MOMENTUM_FLAGS,
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: {
    js: {
      run(p, g, b, from, to, s) {
        loopRmsprop(K, s, b.gradAvg, b.momentumBuffer);
        rmspropWords(p, g, b, from, to, s.rounding.first, s.rounding.keys, p instanceof Float32Array);
      },
    },
    wasm: {
      // α, 1 − α, ε, μ and 1 − dampening in float64: the averages, the scaled gradient and the
      // momentum computed as the chain computes them (the bits stored are the chain's)
      params: [
        ...WASM_SCALARS,
        f64("alpha", (s) => s.alpha),
        f64("ca", (s) => 1 - s.alpha),
        f64("eps", (s) => s.eps),
        ...WASM_MOMENTUM_SCALARS64,
        flag("centered", (s) => s.centered),
        ...WASM_MOMENTUM_FLAGS,
        ...WASM_FLAGS,
        ...WASM_AVERAGE,
        ...WASM_ROUNDING,
      ],
    },
  },
  int8: INT8_ADAM_ONLY,
  gpu: GPU,
} satisfies FusedKind<"rmsprop", RmspropScalars, typeof BUFFERS>;
