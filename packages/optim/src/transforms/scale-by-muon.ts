import {
  checkBoolean,
  checkHyper,
  checkInteger,
  checkNumber,
  checkOptions,
  type Hyper,
  ownerOption,
  showValue,
  valueAt,
} from "../hyper.js";
import { buffersLike, type GradientTransformation, updateLeaves } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";
import { lerp } from "./lerp.js";
import { NS_COEFFICIENTS, newtonSchulz } from "./orthogonalize.js";
import { shapesOf, showPath, showShape } from "./shapes.js";

/** How Muon scales its step by the matrix shape [A, B] (PyTorch's `adjust_lr_fn`). */
export type MuonAdjustLr = "original" | "match_rms_adamw";

/** Options of `scaleByMuon`. */
export interface ScaleByMuonOptions {
  /** Momentum μ in [0, 1] (default 0.95; may follow a schedule). */
  momentum?: Hyper;
  /** Orthogonalize the Nesterov look-ahead `(1−μ)g + μB` instead of the buffer B. Default true. */
  nesterov?: boolean;
  /** (a, b, c) of the quintic Newton–Schulz step (default (3.4445, −4.775, 2.0315)). */
  nsCoefficients?: readonly [number, number, number];
  /** Floor (> 0) on the norm the momentum is divided by before Newton–Schulz (default 1e-7). */
  eps?: number;
  /** Newton–Schulz iterations, an integer in [0, 100) (default 5). */
  nsSteps?: number;
  /**
   * `null`/"original" (default): ×√max(1, A/B) (Keller Jordan); "match_rms_adamw": ×0.2·√max(A, B)
   * (Moonshot), which lets Muon reuse AdamW's lr and weight decay.
   */
  adjustLrFn?: MuonAdjustLr | null;
  /**
   * Where a weight keeps its output dimension, which decides how a leaf of more than 2 dims is seen as
   * a matrix: "first" (PyTorch's `[out, in, kh, kw]`, the default: the trailing dims are flattened,
   * `[out, in·kh·kw]`, as Keller Jordan's Muon does for convolutions) or "last" (TF.js's `[in, out]`
   * and `[kh, kw, in, out]`: the leading dims are flattened). The orthogonal factor is the same either
   * way round (NS(Gᵀ) = NS(G)ᵀ); the step's scale uses [A, B] = [out, in].
   */
  outputAxis?: MuonOutputAxis;
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByMuon". */
  owner?: string;
}

/** Where a weight keeps its output dimension: PyTorch's layout ("first") or TF.js's ("last"). */
export type MuonOutputAxis = "first" | "last";

/**
 * A leaf of ≥ 2 dims as Muon's matrix: its rows and columns as stored (row-major), and [A, B] =
 * [out, in] for the step's scale.
 */
export function muonMatrix(shape: readonly number[], outputAxis: MuonOutputAxis) {
  const size = shape.reduce((a, b) => a * b, 1);
  if (outputAxis === "first") {
    const out = shape[0]!;
    return { rows: out, cols: out === 0 ? 0 : size / out, A: out, B: out === 0 ? 0 : size / out };
  }
  const out = shape[shape.length - 1]!;
  return { rows: out === 0 ? 0 : size / out, cols: out, A: out, B: out === 0 ? 0 : size / out };
}

/** State of `scaleByMuon`. */
export interface ScaleByMuonState {
  /** Updates applied so far. */
  count: number;
  /** The momentum buffer B, one per (matrix) leaf. */
  momentumBuffer: FloatArray[];
}

/** Checks Muon's options as `torch.optim.Muon` does, in the house format. */
function muonOptions(owner: string, o: ScaleByMuonOptions) {
  const momentum = checkHyper(owner, "momentum", o.momentum ?? 0.95, "[0, 1]");
  const nesterov = checkBoolean(owner, "nesterov", o.nesterov ?? true);
  const coefficients = o.nsCoefficients ?? NS_COEFFICIENTS;
  if (!Array.isArray(coefficients) || coefficients.length !== 3) {
    throw new RangeError(
      `${owner}: nsCoefficients must be three numbers [a, b, c], got ${showValue(coefficients)}`,
    );
  }
  coefficients.forEach((v, i) => {
    checkNumber(owner, `nsCoefficients[${i}]`, v, "(-inf, inf)");
  });
  const eps = checkNumber(owner, "eps", o.eps ?? 1e-7, "(0, inf)");
  const nsSteps = checkInteger(owner, "nsSteps", o.nsSteps ?? 5, "[0, 100)");
  const adjustLrFn = o.adjustLrFn ?? null;
  if (adjustLrFn !== null && adjustLrFn !== "original" && adjustLrFn !== "match_rms_adamw") {
    throw new RangeError(
      `${owner}: adjustLrFn must be "original", "match_rms_adamw" or null, got ${showValue(adjustLrFn)}`,
    );
  }
  const outputAxis = o.outputAxis ?? "first";
  if (outputAxis !== "first" && outputAxis !== "last")
    throw new RangeError(`${owner}: outputAxis must be "first" or "last", got ${showValue(outputAxis)}`);
  return {
    outputAxis,
    momentum,
    nesterov,
    coefficients: [...coefficients] as [number, number, number],
    eps,
    nsSteps,
    adjustLrFn,
  };
}

/** The factor Muon multiplies a step by, for a weight of [A, B] = [out, in]. */
function muonLrRatio(adjustLrFn: MuonAdjustLr | null, A: number, B: number): number {
  return adjustLrFn === "match_rms_adamw" ? 0.2 * Math.sqrt(Math.max(A, B)) : Math.sqrt(Math.max(1, A / B));
}

/**
 * Muon's direction, as `torch.optim.Muon` (PyTorch 2.9) computes it for matrices:
 * `B ← lerp(B, g, 1 − μ)` (= μB + (1−μ)g; PyTorch's docs write μB + g, which differs by the factor
 * 1 − μ that the normalization below removes), `B̃ = lerp(g, B, μ)` with Nesterov else `B`,
 * `O = NS⁽ᵃᵇᶜ⁾ₖ(B̃; ε)` (see `newtonSchulz`), output `ratio(A, B)·O`. Follow it with
 * `addDecayedWeights(λ)` and `scaleByLearningRate(lr)` for PyTorch's
 * `p ← p·(1 − lr·λ) − lr·ratio·O`. Every leaf must be a `{ data, shape }` of 2 or more dims:
 * one of more dims (a convolution's filters) is seen as the matrix `outputAxis` says — PyTorch
 * refuses them; Keller Jordan's Muon and Optax's `contrib.muon` flatten them the same way. Vectors
 * are refused at init; the `muon` alias routes them to AdamW.
 */
export function scaleByMuon(options: ScaleByMuonOptions = {}): GradientTransformation<ScaleByMuonState> {
  const owner = ownerOption(options, "scaleByMuon");
  checkOptions(
    owner,
    options,
    ["momentum", "nesterov", "nsCoefficients", "eps", "nsSteps", "adjustLrFn", "outputAxis", "owner"],
    ["adjustLrFn"],
  );
  const o = muonOptions(owner, options);
  const check = (params: Tree | undefined, count?: number) => {
    const { shapes, paths } = shapesOf(owner, params, count);
    shapes.forEach((s, i) => {
      if (s.length < 2) {
        throw new TypeError(
          `${owner}: leaf ${showPath(paths[i]!)} has shape ${showShape(s)}; Muon orthogonalizes only leaves of 2 or more dims ` +
            "(give them as { data, shape }; train other leaves with AdamW, as the muon alias does)",
        );
      }
    });
    return shapes;
  };
  return {
    init(params) {
      check(params);
      return { count: 0, momentumBuffer: buffersLike(params) };
    },
    buffers: (state) => ({ momentumBuffer: state.momentumBuffer }),
    update(updates: Tree, state, params) {
      const us = updateLeaves(owner, updates, state.momentumBuffer);
      const shapes = check(params, us.length);
      const mu = valueAt(owner, "momentum", o.momentum, state.count, "[0, 1]");
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const buf = state.momentumBuffer[i]!;
        const { rows, cols, A, B } = muonMatrix(shapes[i]!, o.outputAxis);
        for (let j = 0; j < u.length; j++) {
          const g = u[j]!;
          buf[j] = lerp(buf[j]!, g, 1 - mu);
          u[j] = o.nesterov ? lerp(g, buf[j]!, mu) : buf[j]!;
        }
        if (u.length === 0) continue;
        const ortho = newtonSchulz(u, rows, cols, {
          coefficients: o.coefficients,
          steps: o.nsSteps,
          eps: o.eps,
        });
        const ratio = muonLrRatio(o.adjustLrFn, A, B);
        for (let j = 0; j < u.length; j++) u[j] = ratio * ortho[j]!;
      }
      state.count += 1;
      return updates;
    },
  };
}
