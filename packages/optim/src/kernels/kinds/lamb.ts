/**
 * LAMB (Adam's direction plus decay, scaled per leaf by the trust ratio ‖p‖/‖r + λp‖; maximize):
 * everything the fast paths know about the kind (see `kind.ts`). The trust ratio needs each leaf's
 * norms before its update, so the kind is `leafwise` (one work item per leaf, packed or not) and its
 * JS loop makes two passes per leaf: the moments and the norms, then the update, recomputing the
 * direction from the stored moments (the same numbers the chain stored). No WASM kernel yet.
 */
import { type Hyper, valueAt } from "../../hyper.js";
import type { FloatArray } from "../../tree.js";
import { commonScalars, type FusedKind, type Scalars, type SpecOf, type StepState } from "./kind.js";
import { ELEMENT, LOOP_BETAS, LOOP_COMMON, loopBetas, loopCommon } from "./shared.js";

// Bound once: see ELEMENT.
const { input, st } = ELEMENT;

export interface LambScalars extends Scalars {
  b1: number;
  b2: number;
  bc1: number;
  bc2Sqrt: number;
  eps: number;
}

const BUFFERS = { expAvg: "always", expAvgSq: "always" } as const;

function scalars(): LambScalars {
  return { ...commonScalars(), b1: 0, b2: 0, bc1: 1, bc2Sqrt: 1, eps: 0 };
}

function resolve(spec: SpecOf<"lamb">, s: LambScalars, at: StepState): void {
  const b1 = valueAt(spec.owner, "betas[0]", spec.beta1, at.count, "[0, 1)");
  const t = at.count + 1;
  s.b1 = b1;
  s.b2 = spec.beta2;
  s.bc1 = spec.biasCorrection ? 1 - b1 ** t : 1;
  s.bc2Sqrt = spec.biasCorrection ? Math.sqrt(1 - spec.beta2 ** t) : 1;
  s.eps = spec.eps;
}

function hyperparams(spec: SpecOf<"lamb">): [string, Hyper][] {
  return [
    ["betas[0]", spec.beta1],
    ["betas[1]", spec.beta2],
    ["eps", spec.eps],
  ];
}

// ---- JS ----

const K = { ...LOOP_COMMON, ...LOOP_BETAS, bc1: 1, bc2Sqrt: 1, eps: 0 };

/** r + λp as the chain stores it: Adam's direction, then the decay (when on). */
function direction(mj: number, vj: number, pj: number, k: typeof K, f32: boolean): number {
  const r = st(mj / k.bc1 / (Math.sqrt(vj) / k.bc2Sqrt + k.eps), f32);
  return k.wd !== 0 ? st(r + k.wd * pj, f32) : r;
}

/** One leaf, [from, to): the moments and the two norms, then the update. */
function leaf(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  from: number,
  to: number,
  k: typeof K,
): void {
  const f32 = p instanceof Float32Array;
  const { coef, negate, b1, c1, b2, c2 } = k;
  let pSq = 0;
  let uSq = 0;
  for (let j = from; j < to; j++) {
    const pj = p[j]!;
    const u = input(g[j]!, pj, coef, negate, 0, f32);
    const mj = st(b1 * m[j]! + c1 * u, f32);
    m[j] = mj;
    const vj = st(b2 * v[j]! + c2 * u * u, f32);
    v[j] = vj;
    const x = direction(mj, vj, pj, k, f32);
    pSq += pj * pj;
    uSq += x * x;
  }
  const pNorm = Math.sqrt(pSq);
  const uNorm = Math.sqrt(uSq);
  const scaled = pNorm !== 0 && uNorm !== 0;
  const ratio = pNorm / uNorm;
  for (let j = from; j < to; j++) {
    const pj = p[j]!;
    let x = direction(m[j]!, v[j]!, pj, k, f32);
    if (scaled) x = st(x * ratio, f32);
    p[j] = pj + st(x * k.step, f32);
  }
}

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
      loopBetas(k, s);
      k.bc1 = s.bc1;
      k.bc2Sqrt = s.bc2Sqrt;
      k.eps = s.eps;
      leaf(p, g, b.expAvg, b.expAvgSq, from, to, k);
    },
  },
  wasm: {
    unsupported:
      "the trust ratio needs each leaf's norms before its update: two passes per leaf, not yet in WASM",
  },
} satisfies FusedKind<"lamb", LambScalars, typeof BUFFERS>;
