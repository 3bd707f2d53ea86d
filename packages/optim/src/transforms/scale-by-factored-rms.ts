import { checkNumber, checkOptions, ownerOption } from "../hyper.js";
import type { GradientTransformation } from "../transform.js";
import { type FloatArray, leavesOf, type Tree } from "../tree.js";
import { lerp } from "./lerp.js";
import { shapesOf, showPath, showShape } from "./shapes.js";

/** Options of `scaleByFactoredRms`. */
export interface ScaleByFactoredRmsOptions {
  /** τ ≤ 0: the second-moment weight is `1 − β̂2_t = t^τ` (default −0.8). */
  beta2Decay?: number;
  /** ε1 ≥ 0, the floor of the second moment (default null: the machine epsilon of each leaf's dtype, 2⁻²³ or 2⁻⁵²). */
  eps?: number | null;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByFactoredRms". */
  owner?: string;
}

/** State of `scaleByFactoredRms`: per leaf, either the two factors or the full second moment. */
export interface ScaleByFactoredRmsState {
  /** Updates applied so far. */
  count: number;
  /** Per leaf: the row factor R (one value per row of each trailing matrix); empty for a vector. */
  rowVar: FloatArray[];
  /** Per leaf: the column factor C (one value per column of each trailing matrix); empty for a vector. */
  colVar: FloatArray[];
  /** Per leaf of fewer than 2 dimensions: the full second moment V̂; empty for a matrix. */
  variance: FloatArray[];
}

function machineEps(a: FloatArray): number {
  return a instanceof Float32Array ? 2 ** -23 : 2 ** -52;
}

/** Sizes of a leaf's factored state: L batched [R, C] matrices, or null for a vector. */
function factors(shape: readonly number[]): { lead: number; rows: number; cols: number } | null {
  if (shape.length < 2) return null;
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  const lead = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { lead, rows, cols };
}

function like(a: FloatArray, n: number): FloatArray {
  return a instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/**
 * Adafactor's preconditioner, as `torch.optim.Adafactor` (PyTorch ≥ 2.5) computes it. With t = count + 1
 * and w = t^τ (so w = 1 at t = 1):
 * - a leaf of ≥ 2 dimensions is factored over its last two, each trailing [R, C] matrix on its own:
 *   `R ← lerp(R, mean_j G², w)`, `C ← lerp(C, mean_i G², w)`, `V̂ = R·Cᵀ / max(mean_i R, ε1)` —
 *   R + C numbers per matrix instead of R·C;
 * - a leaf of fewer dimensions keeps `V̂ ← lerp(V̂, G², w)`;
 * output `U = G / √max(V̂, ε1²)`.
 * Shapes come from the params' `{ data, shape }` leaves (a plain typed array is 1-D, so unfactored).
 */
export function scaleByFactoredRms(
  options: ScaleByFactoredRmsOptions = {},
): GradientTransformation<ScaleByFactoredRmsState> {
  const owner = ownerOption(options, "scaleByFactoredRms");
  checkOptions(owner, options, ["beta2Decay", "eps", "owner"], ["eps"]);
  const tau = checkNumber(owner, "beta2Decay", options.beta2Decay ?? -0.8, "(-inf, 0]");
  const eps1 =
    options.eps === undefined || options.eps === null
      ? null
      : checkNumber(owner, "eps[0]", options.eps, "[0, inf)");
  return {
    init(params) {
      const data = leavesOf(params);
      const { shapes } = shapesOf(owner, params);
      const s: ScaleByFactoredRmsState = { count: 0, rowVar: [], colVar: [], variance: [] };
      data.forEach((d, i) => {
        const f = factors(shapes[i]!);
        s.rowVar.push(like(d, f ? f.lead * f.rows : 0));
        s.colVar.push(like(d, f ? f.lead * f.cols : 0));
        s.variance.push(like(d, f ? 0 : d.length));
      });
      return s;
    },
    buffers: (state) => ({ rowVar: state.rowVar, colVar: state.colVar, variance: state.variance }),
    update(updates: Tree, state, params) {
      const us = leavesOf(updates);
      const { shapes, paths } = shapesOf(owner, params, us.length);
      if (state.rowVar.length !== us.length) {
        throw new TypeError(
          `${owner}: updates have ${us.length} leaves but the state was made for ${state.rowVar.length}`,
        );
      }
      us.forEach((u, i) => {
        const f = factors(shapes[i]!);
        const ok = f
          ? state.rowVar[i]!.length === f.lead * f.rows && state.colVar[i]!.length === f.lead * f.cols
          : state.variance[i]!.length === u.length;
        if (!ok || (f && f.lead * f.rows * f.cols !== u.length)) {
          throw new TypeError(
            `${owner}: leaf ${showPath(paths[i]!)} of shape ${showShape(shapes[i]!)} does not match its state`,
          );
        }
      });
      const t = state.count + 1;
      const w = t ** tau;
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const e1 = eps1 ?? machineEps(u);
        const floor = e1 * e1;
        const f = factors(shapes[i]!);
        if (!f) {
          const v = state.variance[i]!;
          for (let j = 0; j < u.length; j++) {
            const g = u[j]!;
            v[j] = lerp(v[j]!, g * g, w);
            u[j] = (1 / Math.sqrt(Math.max(v[j]!, floor))) * g;
          }
          continue;
        }
        const { lead, rows, cols } = f;
        const rv = state.rowVar[i]!;
        const cv = state.colVar[i]!;
        for (let l = 0; l < lead; l++) {
          const base = l * rows * cols;
          for (let r = 0; r < rows; r++) {
            let s = 0;
            for (let c = 0; c < cols; c++) s += u[base + r * cols + c]! ** 2;
            rv[l * rows + r] = lerp(rv[l * rows + r]!, s / cols, w);
          }
          for (let c = 0; c < cols; c++) {
            let s = 0;
            for (let r = 0; r < rows; r++) s += u[base + r * cols + c]! ** 2;
            cv[l * cols + c] = lerp(cv[l * cols + c]!, s / rows, w);
          }
          let rowMean = 0;
          for (let r = 0; r < rows; r++) rowMean += rv[l * rows + r]!;
          const denom = Math.max(rowMean / rows, e1);
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) {
              const k = base + r * cols + c;
              const vHat = (rv[l * rows + r]! * cv[l * cols + c]!) / denom;
              u[k] = (1 / Math.sqrt(Math.max(vHat, floor))) * u[k]!;
            }
          }
        }
      }
      state.count = t;
      return updates;
    },
  };
}
