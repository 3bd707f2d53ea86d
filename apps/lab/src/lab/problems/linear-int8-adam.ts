/**
 * The naive 8-bit second moment the state-precision experiment sets beside momenta's: Adam's scaling
 * with m in float32 and v stored block-wise as one byte per element on a *linear* code — each block
 * of 256 keeps its largest v as a float32 scale and every element as round(255·v/scale), to nearest —
 * so v = code·scale/255 when read. What it cannot hold: a v below scale/510 in its block becomes 0,
 * and the update m/(√0 + ε) is then lr·m/ε. Adam's v spans twice the decades of the gradient, so a
 * block whose gradients differ by more than ~20× (v by 400×) already loses its small entries —
 * which is why momenta's 8-bit state (`stateDtype: "int8"`) stores √v on a dynamic code whose
 * values reach 10⁻⁷ of the block's largest (Dettmers et al. 2022; `precision/blockwise-int8.ts`).
 *
 *     m ← β1·m + (1 − β1)·g,   v ← Q(β2·v + (1 − β2)·g²),   u = (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 */
import { type GradientTransformation, leavesOf, type Tree } from "momenta-optim";

/** Elements per block, as momenta's 8-bit state. */
const BLOCK = 256;

export interface LinearInt8AdamState {
  count: number;
  expAvg: Float32Array[];
  /** One byte per element: round(255·v / scale). */
  expAvgSqCodes: Uint8Array[];
  /** One float32 per block of 256: the block's largest v. */
  expAvgSqScales: Float32Array[];
}

export function scaleByAdamLinearInt8V(
  o: { beta1?: number; beta2?: number; eps?: number } = {},
): GradientTransformation<LinearInt8AdamState> {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const block = new Float64Array(BLOCK);
  return {
    init(params: Tree) {
      const leaves = leavesOf(params);
      return {
        count: 0,
        expAvg: leaves.map((p) => new Float32Array(p.length)),
        expAvgSqCodes: leaves.map((p) => new Uint8Array(p.length)),
        expAvgSqScales: leaves.map((p) => new Float32Array(Math.ceil(p.length / BLOCK))),
      };
    },
    update(updates: Tree, state: LinearInt8AdamState) {
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      leavesOf(updates).forEach((u, leaf) => {
        const m = state.expAvg[leaf]!;
        const codes = state.expAvgSqCodes[leaf]!;
        const scales = state.expAvgSqScales[leaf]!;
        for (let start = 0, b = 0; start < u.length; start += BLOCK, b++) {
          const end = Math.min(start + BLOCK, u.length);
          let scale = 0;
          for (let i = start; i < end; i++) {
            const g = u[i]!;
            m[i] = b1 * m[i]! + (1 - b1) * g;
            const v = b2 * ((codes[i]! * scales[b]!) / 255) + (1 - b2) * g * g;
            block[i - start] = v;
            if (v > scale) scale = v;
          }
          scales[b] = scale;
          const stored = scales[b]!;
          for (let i = start; i < end; i++) {
            const code = stored > 0 ? Math.min(255, Math.round((255 * block[i - start]!) / stored)) : 0;
            codes[i] = code;
            const v = (code * stored) / 255;
            u[i] = m[i]! / bc1 / (Math.sqrt(v / bc2) + eps);
          }
        }
      });
      state.count = t;
      return updates;
    },
  };
}
