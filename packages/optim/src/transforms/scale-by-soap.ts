import {
  checkBoolean,
  checkHyper,
  checkInteger,
  checkMask,
  checkNumber,
  checkOptions,
  type Hyper,
  hyperAt,
  ownerOption,
  showValue,
  valueAt,
} from "../hyper.js";
import { type GradientTransformation, paramLeaves, updateLeaves } from "../transform.js";
import { type FloatArray, leavesOf, type Mask, type Tree } from "../tree.js";
import { maskFor } from "./add-decayed-weights.js";
import { orthonormalFactor, symmetricEigen } from "./eigenbasis.js";
import { checkBetas } from "./scale-by-adam.js";
import { shapesOf, showShape } from "./shapes.js";

/** Options of `scaleBySoap`: the authors' `SOAP`'s, in camelCase. */
export interface ScaleBySoapOptions {
  /** Learning rate, ≥ 0 (a number or a schedule). Default 3e-3. */
  lr?: Hyper;
  /** (β1, β2) of the Adam run in the eigenbasis, each in [0, 1). Default [0.95, 0.95]. */
  betas?: readonly [number, number];
  /** Decay of the preconditioner matrices' running average, in [0, 1); null: β2. Default null. */
  shampooBeta?: number | null;
  /** Added to √v, ≥ 0. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay λ, ≥ 0 (a number or a schedule), applied after the step: p ← p·(1 − lr·λ). Default 0.01. */
  weightDecay?: Hyper;
  /** Leaves the decay applies to. Default: all. */
  mask?: Mask;
  /** Refresh the eigenbases every this many updates (one power iteration and a QR), ≥ 1. Default 10. */
  preconditionFrequency?: number;
  /** Dimensions longer than this get no preconditioner (identity), ≥ 1. Default 10000. */
  maxPrecondDim?: number;
  /** Merge consecutive dimensions while their product stays ≤ maxPrecondDim. Default false. */
  mergeDims?: boolean;
  /** Precondition 1-D leaves too (one n×n matrix). Default false. */
  precondition1d?: boolean;
  /** Divide each leaf's step by its RMS. Default false. */
  normalizeGrads?: boolean;
  /** How 4-D leaves are laid out when merging: "channels_first" (NCHW) or "channels_last" (NHWC). Default "channels_first". */
  dataFormat?: "channels_first" | "channels_last";
  /** Adam's bias correction. Default true. */
  correctBias?: boolean;
  /** Name used in error messages. Default "scaleBySoap". */
  owner?: string;
}

/** SOAP's state for one leaf. */
export interface SoapLeafState {
  /** First moment, in the eigenbasis (between updates); channels-last leaves merged as channels-first. */
  expAvg: FloatArray;
  /** Second moment, in the eigenbasis, laid out as `expAvg`. */
  expAvgSq: FloatArray;
  /** Per preconditioned dimension d (after merging), the running average of the gradient's mode-d covariance, d×d (length 0: no preconditioner on that dimension). */
  gg: FloatArray[];
  /** Per dimension, the eigenbasis Q (columns), d×d, as `gg`. */
  q: FloatArray[];
}

/** State of `scaleBySoap`. */
export interface ScaleBySoapState {
  /** Updates seen (the first only builds the preconditioners). */
  count: number;
  /** Per leaf. */
  leaves: SoapLeafState[];
}

/**
 * SOAP (Vyas et al. 2025, "SOAP: Improving and Stabilizing Shampoo using Adam", ICLR; the authors'
 * nikhilvyas/SOAP `soap.py`, which this follows step for step): Adam run in the eigenbasis of
 * Shampoo's preconditioner. Per leaf and per dimension d (≤ maxPrecondDim), G_d ← β_s·G_d + (1−β_s)·
 * (the gradient's mode-d covariance) and Q_d its eigenvectors (eigh at the first update, then every
 * `preconditionFrequency` updates one power iteration G_d·Q_d and a QR, v's entries permuted with the
 * re-sorted eigenvalues). An update: g' = g projected (×_d Q_dᵀ); m, v Adam's moments of g';
 * p ← (p − η·project_back(m/(√v+ε)))·(1 − lr·λ), η = lr·√(1−β2^t)/(1−β1^t); then G and Q move on
 * this gradient, so it never enters its own projection. The first update only builds G and Q (the
 * params do not move). The output is the whole step (decay after the step, as the authors do).
 */
export function scaleBySoap(options: ScaleBySoapOptions = {}): GradientTransformation<ScaleBySoapState> {
  const owner = ownerOption(options, "scaleBySoap");
  checkOptions(
    owner,
    options,
    [
      "lr",
      "betas",
      "shampooBeta",
      "eps",
      "weightDecay",
      "mask",
      "preconditionFrequency",
      "maxPrecondDim",
      "mergeDims",
      "precondition1d",
      "normalizeGrads",
      "dataFormat",
      "correctBias",
      "owner",
    ],
    ["shampooBeta"],
  );
  const lr = checkHyper(owner, "lr", options.lr ?? 3e-3, "[0, inf)");
  const betas = checkBetas(owner, options.betas ?? [0.95, 0.95]);
  const b1 = checkNumber(owner, "betas[0]", betas[0], "[0, 1)");
  const b2 = betas[1];
  const shampooBeta =
    options.shampooBeta === null || options.shampooBeta === undefined
      ? b2
      : checkNumber(owner, "shampooBeta", options.shampooBeta, "[0, 1)");
  const eps = checkNumber(owner, "eps", options.eps ?? 1e-8, "[0, inf)");
  const weightDecay = checkHyper(owner, "weightDecay", options.weightDecay ?? 0.01, "[0, inf)");
  const { mask } = options;
  checkMask(owner, "mask", mask);
  const frequency = checkInteger(
    owner,
    "preconditionFrequency",
    options.preconditionFrequency ?? 10,
    "[1, inf)",
  );
  const maxDim = checkInteger(owner, "maxPrecondDim", options.maxPrecondDim ?? 10000, "[1, inf)");
  const merge = checkBoolean(owner, "mergeDims", options.mergeDims ?? false);
  const oneD = checkBoolean(owner, "precondition1d", options.precondition1d ?? false);
  const normalize = checkBoolean(owner, "normalizeGrads", options.normalizeGrads ?? false);
  const format = options.dataFormat ?? "channels_first";
  if (format !== "channels_first" && format !== "channels_last") {
    throw new RangeError(
      `${owner}: dataFormat must be "channels_first" or "channels_last", got ${showValue(format)}`,
    );
  }
  const correctBias = checkBoolean(owner, "correctBias", options.correctBias ?? true);

  /** A leaf's working layout: the dims SOAP sees (merged, NHWC moved to NCHW) and which get a preconditioner. */
  const layoutOf = (shape: readonly number[], size: number) => {
    const nhwc = format === "channels_last" && shape.length === 4;
    const nchw = nhwc ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : [...shape];
    let dims: number[];
    if (shape.length <= 1) dims = shape.length === 0 ? [] : [size];
    else dims = merge ? mergedDims(nchw, maxDim) : [...shape];
    const preconditioned = dims.map((d) => (shape.length <= 1 ? oneD && d <= maxDim : d <= maxDim));
    return { dims, preconditioned, nhwc: nhwc && merge ? (shape as [number, number, number, number]) : null };
  };

  return {
    config: (state) => ({
      lr: hyperAt(lr, state.count),
      "betas[0]": b1,
      "betas[1]": b2,
      shampooBeta,
      eps,
      weightDecay: hyperAt(weightDecay, state.count),
      preconditionFrequency: frequency,
      maxPrecondDim: maxDim,
      mergeDims: merge,
      precondition1d: oneD,
      normalizeGrads: normalize,
      dataFormat: format,
      correctBias,
    }),
    init(params) {
      const { shapes } = shapesOf(owner, params);
      return {
        count: 0,
        leaves: leavesOf(params).map((p, i) => {
          const { dims, preconditioned } = layoutOf(shapes[i]!, p.length);
          const like = (n: number) => (p instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
          return {
            expAvg: like(p.length),
            expAvgSq: like(p.length),
            gg: dims.map((d, k) => like(preconditioned[k] ? d * d : 0)),
            q: dims.map((d, k) => like(preconditioned[k] ? d * d : 0)),
          };
        }),
      };
    },
    // the moments in the eigenbasis (the preconditioners are per axis, not leaf-sized)
    buffers: (state) => ({
      expAvg: state.leaves.map((l) => l.expAvg),
      expAvgSq: state.leaves.map((l) => l.expAvgSq),
    }),
    update(updates: Tree, state, params) {
      const us = leavesOf(updates);
      updateLeaves(
        owner,
        updates,
        state.leaves.map((l) => l.expAvg),
      );
      const ps = paramLeaves(owner, params, us.length);
      const { shapes } = shapesOf(owner, params, us.length);
      const on = maskFor(owner, mask, params!);
      const layouts = us.map((u, i) => layoutOf(shapes[i]!, u.length));
      for (let i = 0; i < us.length; i++) {
        const { dims, preconditioned } = layouts[i]!;
        const gg = state.leaves[i]!.gg;
        const same =
          dims.length === gg.length &&
          dims.every((d, k) => gg[k]!.length === (preconditioned[k] ? d * d : 0));
        if (!same)
          throw new TypeError(
            `${owner}: leaf ${i} has shape ${showShape(shapes[i]!)}, not the one its state was made for`,
          );
      }
      // every check before the first write
      const rate = valueAt(owner, "lr", lr, state.count, "[0, inf)");
      const wd = valueAt(owner, "weightDecay", weightDecay, state.count, "[0, inf)");
      const first = state.count === 0;
      const t = state.count; // Adam's step number of this update (the first update is not one)
      for (let i = 0; i < us.length; i++) {
        const u = us[i]!;
        const p = ps[i]!;
        const s = state.leaves[i]!;
        const { dims, nhwc } = layouts[i]!;
        const g = toWorking(u, nhwc);
        if (first) {
          accumulate(s, g, dims, shampooBeta);
          for (let k = 0; k < dims.length; k++) {
            if (s.gg[k]!.length === 0) continue;
            const d = dims[k]!;
            const gk = Float64Array.from(s.gg[k]!);
            // the authors add 1e-30·I before eigh
            for (let j = 0; j < d; j++) gk[j * d + j]! += 1e-30;
            s.q[k]!.set(symmetricEigen(gk, d).vectors);
          }
          u.fill(0);
          continue;
        }
        const gp = project(g, dims, s.q, false);
        const m = s.expAvg;
        const v = s.expAvgSq;
        const dir = new Float64Array(u.length);
        for (let j = 0; j < u.length; j++) {
          m[j] = m[j]! * b1 + (1 - b1) * gp[j]!;
          v[j] = v[j]! * b2 + (1 - b2) * (gp[j]! * gp[j]!);
          dir[j] = m[j]! / (Math.sqrt(v[j]!) + eps);
        }
        let step = rate;
        if (correctBias) step = (step * (1 - b2 ** t) ** 0.5) / (1 - b1 ** t);
        const back = fromWorking(project(dir, dims, s.q, true), nhwc);
        if (normalize) {
          let ms = 0;
          for (const x of back) ms += x * x;
          const scale = 1e-30 + (ms / back.length) ** 0.5;
          for (let j = 0; j < back.length; j++) back[j]! /= scale;
        }
        const lam = on[i] ? wd : 0;
        for (let j = 0; j < u.length; j++) {
          let x = p[j]! + -step * back[j]!;
          if (lam > 0) x = x + -rate * lam * x;
          u[j] = x - p[j]!;
        }
        // the preconditioner moves on this gradient after the step; m goes back to the original
        // space and into the (possibly refreshed) basis
        const mOrig = project(Float64Array.from(m), dims, s.q, true);
        accumulate(s, g, dims, shampooBeta);
        if (t % frequency === 0) refreshBases(s, dims);
        m.set(project(mOrig, dims, s.q, false));
      }
      state.count += 1;
      return updates;
    },
  };
}

/** The authors' `merge_dims`: consecutive dims multiplied together while the product stays ≤ max. */
export function mergedDims(shape: readonly number[], max: number): number[] {
  const out: number[] = [];
  let current = 1;
  for (const sh of shape) {
    const next = current * sh;
    if (next > max) {
      if (current > 1) {
        out.push(current);
        current = sh;
      } else {
        out.push(sh);
        current = 1;
      }
    } else current = next;
  }
  if (current > 1 || out.length === 0) out.push(current);
  return out;
}

/** A float64 copy of a leaf, NHWC moved to NCHW when merging channels-last 4-D leaves. */
function toWorking(x: FloatArray, nhwc: readonly [number, number, number, number] | null): Float64Array {
  return nhwc ? moveChannels(x, nhwc, true) : Float64Array.from(x);
}

/** The inverse of `toWorking`'s move. */
function fromWorking(x: Float64Array, nhwc: readonly [number, number, number, number] | null): Float64Array {
  return nhwc ? moveChannels(x, nhwc, false) : x;
}

/** NHWC → NCHW (`toFirst`) or back, for a leaf of NHWC shape [n, h, w, c]. */
function moveChannels(x: FloatArray, [n, h, w, c]: readonly number[], toFirst: boolean): Float64Array {
  const out = new Float64Array(x.length);
  for (let a = 0; a < n!; a++)
    for (let y = 0; y < h!; y++)
      for (let z = 0; z < w!; z++)
        for (let k = 0; k < c!; k++) {
          const last = ((a * h! + y) * w! + z) * c! + k;
          const first = ((a * c! + k) * h! + y) * w! + z;
          if (toFirst) out[first] = x[last]!;
          else out[last] = x[first]!;
        }
  return out;
}

/**
 * Multiplies a tensor of `dims` along each preconditioned axis by its basis: into the eigenbasis
 * (x ×_d Q_dᵀ) or, `back`, out of it (x ×_d Q_d). Unpreconditioned axes pass through.
 */
function project(
  x: Float64Array,
  dims: readonly number[],
  qs: readonly FloatArray[],
  back: boolean,
): Float64Array {
  let cur = x;
  let outer = 1;
  let inner = cur.length;
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k]!;
    inner /= d;
    const q = qs[k]!;
    if (q.length > 0) {
      // into the basis: out[a] = Σ_b x[b]·Q[b][a]; out of it: Σ_b x[b]·Q[a][b] = Σ_b x[b]·Qᵀ[b][a]
      const out = new Float64Array(cur.length);
      if (inner === 1) {
        // the last axis: each out[a] is a dot product of a row of x with row a of mᵀ, both read
        // in order (3–4× faster than the strided form below, and the same sum: b = 0, 1, …)
        const mt = back ? q : transpose(q, d);
        for (let o = 0; o < outer; o++) {
          const base = o * d;
          for (let a = 0; a < d; a++) {
            const row = a * d;
            let sum = 0;
            for (let b = 0; b < d; b++) sum += cur[base + b]! * mt[row + b]!;
            out[base + a] = sum;
          }
        }
        cur = out;
        outer *= d;
        continue;
      }
      const m = back ? transpose(q, d) : q;
      // b outside a and i: rows of x and of Q are read in order, and each sum still adds b = 0, 1, …
      for (let o = 0; o < outer; o++) {
        const base = o * d * inner;
        for (let b = 0; b < d; b++) {
          const from = base + b * inner;
          for (let a = 0; a < d; a++) {
            const w = m[b * d + a]!;
            const to = base + a * inner;
            for (let i = 0; i < inner; i++) out[to + i]! += cur[from + i]! * w;
          }
        }
      }
      cur = out;
    }
    outer *= d;
  }
  return cur;
}

/** The transpose of a d×d row-major matrix. */
function transpose(q: FloatArray, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) t[b * d + a] = q[a * d + b]!;
  return t;
}

/** G_d ← lerp(G_d, the gradient's mode-d covariance, 1 − β) for each preconditioned axis (torch's lerp). */
function accumulate(s: SoapLeafState, g: Float64Array, dims: readonly number[], beta: number): void {
  let outer = 1;
  let inner = g.length;
  const w = 1 - beta;
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k]!;
    inner /= d;
    const gg = s.gg[k]!;
    if (gg.length > 0) {
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          let sum = 0;
          for (let o = 0; o < outer; o++) {
            const base = o * d * inner;
            for (let i = 0; i < inner; i++) sum += g[base + a * inner + i]! * g[base + b * inner + i]!;
          }
          const self = gg[a * d + b]!;
          // torch.lerp: self + w·(end − self) for w < ½, end − (end − self)·(1 − w) otherwise
          gg[a * d + b] = w < 0.5 ? self + w * (sum - self) : sum - (sum - self) * (1 - w);
        }
      }
    }
    outer *= d;
  }
}

/**
 * One power iteration and a QR per preconditioned axis: the columns of Q_d re-sorted by their
 * Rayleigh quotients (descending), v's entries along that axis moved with them, Q_d ← qr(G_d·Q_d).
 */
function refreshBases(s: SoapLeafState, dims: readonly number[]): void {
  let outer = 1;
  let inner = s.expAvgSq.length;
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k]!;
    inner /= d;
    const gg = s.gg[k]!;
    if (gg.length > 0) {
      const q = s.q[k]!;
      const quotient = new Float64Array(d);
      for (let c = 0; c < d; c++) {
        let sum = 0;
        for (let a = 0; a < d; a++) {
          let row = 0;
          for (let b = 0; b < d; b++) row += gg[a * d + b]! * q[b * d + c]!;
          sum += q[a * d + c]! * row;
        }
        quotient[c] = sum;
      }
      const order = Array.from({ length: d }, (_, c) => c).sort((x, y) => quotient[y]! - quotient[x]!);
      const v = s.expAvgSq;
      const moved = Float64Array.from(v);
      for (let o = 0; o < outer; o++)
        for (let a = 0; a < d; a++)
          for (let i = 0; i < inner; i++)
            v[(o * d + a) * inner + i] = moved[(o * d + order[a]!) * inner + i]!;
      const power = new Float64Array(d * d);
      for (let a = 0; a < d; a++)
        for (let c = 0; c < d; c++) {
          let sum = 0;
          for (let b = 0; b < d; b++) sum += gg[a * d + b]! * q[b * d + order[c]!]!;
          power[a * d + c] = sum;
        }
      q.set(orthonormalFactor(power, d));
    }
    outer *= d;
  }
}
