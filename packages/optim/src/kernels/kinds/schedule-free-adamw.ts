/**
 * Schedule-Free AdamW (the reference's `AdamWScheduleFreeReference`; decay at y or at z, maximize):
 * everything the fast paths know about the kind — its buffers (v, and the wrapper's sequences z and
 * x), per-step scalars (γ_k, the average's weight c_k, and the largest lr and weight sum the state
 * carries besides its count), JS loops and WASM parameters (see `kind.ts`). One pass per element:
 * `v ← β2·v + (1−β2)·u²`, `d = u/(√v + ε) + λ·(y or z)`, `z ← z − γ·d`, `x ← (1−c)·x + c·z`,
 * `y ← β1·x + (1−β1)·z` (the params; the step adds y − p as `applyUpdates` would). On the first
 * update z and x start from the params, as the reference copies them then.
 */
import { type Hyper, valueAt } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import type { ScheduleFreeState } from "../../wrappers/schedule-free.js";
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
  type BetaScalars,
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
const { input, st } = ELEMENT;

export interface ScheduleFreeAdamwScalars extends Scalars, BetaScalars {
  eps: number;
  /** c_k, the weight of z in the average x (0 while the weights sum to 0). */
  ck: number;
  /** The first update: z and x are read as the params. */
  first: boolean;
  /** Decay at z (`decayAtZ`) instead of y. */
  atZ: boolean;
  /** The largest lr so far and the weights' sum after this step (written to the state when done). */
  lrMax: number;
  weightSum: number;
}

const BUFFERS = { squareAvg: "always", z: "always", x: "always" } as const;

function scalars(): ScheduleFreeAdamwScalars {
  return {
    ...commonScalars(),
    b1: 0,
    b2: 0,
    eps: 0,
    ck: 0,
    first: false,
    atZ: false,
    lrMax: 0,
    weightSum: 0,
  };
}

/**
 * γ_k (the lr `resolveStep` read, times warmup and √(1 − β2^(k+1)), in the reference's order), the
 * averaging weight, β1 — each checked as the wrapper checks it, and the wrapper's refusal to step
 * in eval mode, before anything is written.
 */
function resolve(spec: SpecOf<"scheduleFreeAdamw">, s: ScheduleFreeAdamwScalars, at: StepState): void {
  const sf = at.holders.z as unknown as ScheduleFreeState;
  if (!sf.trainMode) {
    throw new Error(
      `${spec.owner}: the params hold x (eval mode); call scheduleFreeTrain(state, params) before stepping`,
    );
  }
  const k = at.count;
  const gamma =
    s.lr * (k < spec.warmupSteps ? (k + 1) / spec.warmupSteps : 1) * Math.sqrt(1 - spec.beta2 ** (k + 1));
  const b1 = valueAt(spec.owner, "betas[0]", spec.beta1, k, "[0, 1)");
  const lrMax = Math.max(sf.lrMax, gamma);
  const weight = (k + 1) ** spec.r * lrMax ** spec.weightLrPower;
  const weightSum = sf.weightSum + weight;
  s.lr = gamma;
  s.b1 = b1;
  s.b2 = spec.beta2;
  s.eps = spec.eps;
  s.ck = weightSum === 0 ? 0 : weight / weightSum;
  s.first = k === 0;
  s.atZ = spec.decayAtZ;
  s.lrMax = lrMax;
  s.weightSum = weightSum;
}

function commit(s: ScheduleFreeAdamwScalars, at: StepState): void {
  const sf = at.holders.z as unknown as ScheduleFreeState;
  sf.lrMax = s.lrMax;
  sf.weightSum = s.weightSum;
}

function hyperparams(spec: SpecOf<"scheduleFreeAdamw">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_BETAS, eps: 0, ck: 0, dk: 1, first: false, atZ: false };

// biome-ignore format: one line per argument group
function scheduleFreeAt(p: FloatArray, sq: FloatArray, z: FloatArray, x: FloatArray, j: number, gj: number, pj: number,
  coef: number, negate: boolean, wd: number, step: number,
  b1: number, c1: number, b2: number, c2: number, eps: number, ck: number, dk: number, first: boolean, atZ: boolean,
  f32: boolean): void {
  let u = input(gj, pj, coef, negate, 0, f32);
  const s = st(b2 * sq[j]! + c2 * u * u, f32);
  sq[j] = s;
  u = st(u / (Math.sqrt(s) + eps), f32);
  const zj = first ? pj : z[j]!;
  const xj = first ? pj : x[j]!;
  if (wd !== 0) u = st(u + wd * (atZ ? zj : pj), f32);
  u = st(u * step, f32);
  const zn = st(zj + u, f32);
  z[j] = zn;
  const xn = st(xj * dk + zn * ck, f32);
  x[j] = xn;
  p[j] = pj + st(xn * b1 + zn * c1 - pj, f32);
}

type Loop = (
  p: FloatArray,
  g: FloatArray,
  sq: FloatArray,
  z: FloatArray,
  x: FloatArray,
  from: number,
  to: number,
  k: typeof K,
) => void;

// biome-ignore format: the two loops differ only in their last argument; one line each shows it
const scheduleFree32: Loop = (p, g, sq, z, x, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2, eps, ck, dk, first, atZ } = k;
  for (let j = from; j < to; j++) scheduleFreeAt(p, sq, z, x, j, g[j]!, p[j]!, coef, negate, wd, step, b1, c1, b2, c2, eps, ck, dk, first, atZ, true);
};

// biome-ignore format: as above
const scheduleFree64: Loop = (p, g, sq, z, x, from, to, k) => {
  const { coef, negate, wd, step, b1, c1, b2, c2, eps, ck, dk, first, atZ } = k;
  for (let j = from; j < to; j++) scheduleFreeAt(p, sq, z, x, j, g[j]!, p[j]!, coef, negate, wd, step, b1, c1, b2, c2, eps, ck, dk, first, atZ, false);
};

/**
 * On the GPU (WGSL/GLSL, float32): v; z ← z + (u/(√v + ε) + λ·(y or z))·(−γ); x ← (1 − c)·x + c·z;
 * the params y = β1·x + (1 − β1)·z, added to p as the step adds y − p. On the first update z and x
 * read as the params (the text depends on it, and on the variable's decay).
 */
const GPU: GpuKernel<ScheduleFreeAdamwScalars> = {
  uniforms: [...WASM_BETAS, f32("eps", (s) => s.eps), f32("ck", (s) => s.ck), f32("dk", (s) => 1 - s.ck)],
  buffers: (s) => {
    const [z, x] = s.first ? ["p", "p"] : ["z", "x"];
    const decay = s.wd !== 0 ? ` + uniforms.wd * ${s.atZ ? z : "p"}` : "";
    return {
      squareAvg: "uniforms.b2 * squareAvg + (uniforms.c2 * u) * u",
      z: `${z} + (u / (sqrt(new_squareAvg) + uniforms.eps)${decay}) * uniforms.nlr`,
      x: `${x} * uniforms.dk + new_z * uniforms.ck`,
    };
  },
  value: () => "p + ((new_x * uniforms.b1 + new_z * uniforms.c1) - p)",
};

export const scheduleFreeAdamw = {
  kind: "scheduleFreeAdamw",
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
      k.eps = s.eps;
      k.ck = s.ck;
      k.dk = 1 - s.ck;
      k.first = s.first;
      k.atZ = s.atZ;
      const loop = p instanceof Float32Array ? scheduleFree32 : scheduleFree64;
      loop(p, g, b.squareAvg, b.z, b.x, from, to, k);
    },
  },
  wasm: {
    params: [
      ...WASM_SCALARS,
      ...WASM_BETAS,
      f32("eps", (s) => s.eps),
      f32("ck", (s) => s.ck),
      f32("dk", (s) => 1 - s.ck),
      flag("first", (s) => s.first),
      flag("atZ", (s) => s.atZ),
      ...WASM_FLAGS,
      ...WASM_AVERAGE,
    ],
    float64: true,
  },
  bfloat16: { unsupported: "scheduleFreeAdamw has no stateDtype" },
  int8: { unsupported: "scheduleFreeAdamw has no stateDtype" },
  gpu: GPU,
} satisfies FusedKind<"scheduleFreeAdamw", ScheduleFreeAdamwScalars, typeof BUFFERS>;
