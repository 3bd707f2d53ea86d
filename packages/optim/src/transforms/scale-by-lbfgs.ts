import { checkInteger, checkNumber, checkOptions, ownerOption, showValue } from "../hyper.js";
import type { ClosureUpdate, GradientTransformation } from "../transform.js";
import { type FloatArray, leavesOf, type Tree } from "../tree.js";
import { dot, type LinePoint, strongWolfe } from "./strong-wolfe.js";

/** Options of `scaleByLbfgs`. */
export interface ScaleByLbfgsOptions {
  /** The step length: the line search's first trial, or the fixed step without one, > 0. Default 1. */
  lr?: number;
  /** Iterations per step, an integer ≥ 1. Default 20. */
  maxIter?: number;
  /** Evaluations per step, an integer ≥ 1. Default ⌊maxIter · 5/4⌋. */
  maxEval?: number;
  /** A step ends when max |g| ≤ this, ≥ 0. Default 1e-7. */
  toleranceGrad?: number;
  /** A step ends when the loss or the params change by less than this, ≥ 0. Default 1e-9. */
  toleranceChange?: number;
  /** The (s, y) pairs kept, an integer ≥ 1. Default 100. */
  historySize?: number;
  /** `"strong_wolfe"` for the strong-Wolfe line search; left out, fixed steps of `lr`. */
  lineSearchFn?: "strong_wolfe";
  /** Name used in error messages (the optimizer aliases pass theirs). Default "scaleByLbfgs". */
  owner?: string;
}

/** One curvature pair of the history: s = t·d (the step), y (the gradient's change), ρ = 1/(y·s). */
export interface LbfgsPair {
  /** The step taken, t·d (flat over the tree). */
  s: FloatArray;
  /** The gradient's change over that step. */
  y: FloatArray;
  /** 1 / (y·s). */
  rho: number;
}

/** State of `scaleByLbfgs`: PyTorch's LBFGS state, flat over the param tree in leaf order. */
export interface ScaleByLbfgsState {
  /** Steps (`step(closure)` calls) completed. */
  count: number;
  /** Evaluations so far, PyTorch's `func_evals`. */
  funcEvals: number;
  /** Iterations so far, PyTorch's `n_iter`. */
  nIter: number;
  /** The last direction d (zeros before the first iteration). */
  d: FloatArray;
  /** The last step length t. */
  t: number;
  /** The initial inverse-Hessian scale γ = y·s / y·y. */
  hDiag: number;
  /** The gradient at the start of the last iteration. */
  prevFlatGrad: FloatArray;
  /** The loss at the start of the last iteration. */
  prevLoss: number;
  /** Up to `historySize` curvature pairs, oldest first (its length varies: the state dict keeps it as it is). */
  history: LbfgsPair[];
}

// The vector work, in plain functions: V8 optimizes them as it does not the generator's own loops.

/** torch's `(a·t).abs().max()` (t = 1: `a.abs().max()`): NaN wins. */
function absMax(a: FloatArray, t = 1): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! * t));
  return m;
}

function absSum(a: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

/** A new vector a·t, in a's dtype. */
function scaled(a: FloatArray, t: number): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * t;
  return out;
}

/** A new vector a − b, in a's dtype. */
function difference(a: FloatArray, b: FloatArray): FloatArray {
  const out = a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** x ← x + a·y, in place. */
function axpy(x: FloatArray, a: number, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + a * y[i]!;
}

/**
 * a·b for the two-loop recursion, in float64, in four interleaved partial sums (element i into sum
 * i mod 4, the n mod 4 last into sum 0), returned as (s0 + s1) + (s2 + s3): four independent add
 * chains instead of one, and the order the WASM kernel (`dot32`/`dot64`) reproduces bit for bit.
 */
export function twoLoopDot(a: FloatArray, b: FloatArray): number {
  const n = a.length;
  const m = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < m; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Where L-BFGS's two-loop recursion runs: these JavaScript loops (`jsTwoLoop`), or the WASM
 * kernels `createOptimizer` hands the transform (`kernels/lbfgs-two-loop.ts`), which compute the
 * same bits.
 */
export interface TwoLoopKernel {
  readonly name: "js" | "wasm";
  /** A step starts: the history may have changed since the last (a state dict loaded, a step undone). */
  begin(): void;
  /**
   * d = −H·g (Nocedal 1980) for the inverse-Hessian model of the pairs, from γ·I; `r` rounds
   * scalars as the vectors' dtype does (PyTorch's float32 scalar tensors). Returns a new vector.
   */
  twoLoop(g: FloatArray, history: readonly LbfgsPair[], hDiag: number, r: (x: number) => number): FloatArray;
}

/** The two-loop recursion in JavaScript. */
export const jsTwoLoop: TwoLoopKernel = {
  name: "js",
  begin() {},
  twoLoop(g, history, hDiag, r) {
    const q = scaled(g, -1);
    const al = new Array<number>(history.length);
    for (let k = history.length - 1; k >= 0; k--) {
      const h = history[k]!;
      al[k] = r(r(twoLoopDot(h.s, q)) * h.rho);
      axpy(q, -al[k]!, h.y);
    }
    // q is not needed after this: d takes its place
    scaleInPlace(q, hDiag);
    const d = q;
    for (let k = 0; k < history.length; k++) {
      const h = history[k]!;
      const be = r(r(twoLoopDot(h.y, d)) * h.rho);
      axpy(d, r(al[k]! - be), h.s);
    }
    return d;
  },
};

/** a ← a·t, in place (rounded to a's dtype as `scaled` rounds). */
function scaleInPlace(a: FloatArray, t: number): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * t;
}

/** The transform's hook for `createOptimizer`: the same transform, running its two-loop on `kernel`. */
export const withTwoLoop: unique symbol = Symbol("momenta.lbfgs.withTwoLoop");

/** A transform whose two-loop recursion can be handed another kernel (`scaleByLbfgs`'s). */
export interface TwoLoopHost {
  readonly [withTwoLoop]: (kernel: TwoLoopKernel) => GradientTransformation<ScaleByLbfgsState>;
}

/** Whether `tx` is an L-BFGS transform whose two-loop can run elsewhere. */
export function hostsTwoLoop(tx: unknown): tx is TwoLoopHost {
  return typeof tx === "object" && tx !== null && withTwoLoop in tx;
}

/**
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989) as PyTorch's `torch.optim.LBFGS` computes it, over the
 * whole param tree flattened in leaf order. One update runs up to `maxIter` iterations: the
 * two-loop recursion turns the gradient into a direction d from the last `historySize` pairs
 * (s, y), scaled by γ = y·s / y·y; the params move by t·d, with t = lr (the very first iteration:
 * min(1, 1/‖g‖₁)·lr) or from the strong-Wolfe line search. It stops early when max |g| ≤
 * toleranceGrad, the slope g·d > −toleranceChange, max |t·d| or the loss change falls below
 * toleranceChange, or after `maxEval` evaluations. A closure transform: it moves the params itself
 * (its output is zero) and evaluates the objective at every iterate (`step(closure)`).
 */
export function scaleByLbfgs(options: ScaleByLbfgsOptions = {}): GradientTransformation<ScaleByLbfgsState> {
  return build(options, jsTwoLoop);
}

function build(
  options: ScaleByLbfgsOptions,
  kernel: TwoLoopKernel,
): GradientTransformation<ScaleByLbfgsState> & TwoLoopHost {
  const owner = ownerOption(options, "scaleByLbfgs");
  checkOptions(owner, options, [
    "lr",
    "maxIter",
    "maxEval",
    "toleranceGrad",
    "toleranceChange",
    "historySize",
    "lineSearchFn",
    "owner",
  ]);
  const lr = checkNumber(owner, "lr", options.lr ?? 1, "(0, inf)");
  const maxIter = checkInteger(owner, "maxIter", options.maxIter ?? 20, "[1, inf)");
  const maxEval =
    options.maxEval === undefined
      ? Math.floor((maxIter * 5) / 4)
      : checkInteger(owner, "maxEval", options.maxEval, "[1, inf)");
  const toleranceGrad = checkNumber(owner, "toleranceGrad", options.toleranceGrad ?? 1e-7, "[0, inf)");
  const toleranceChange = checkNumber(owner, "toleranceChange", options.toleranceChange ?? 1e-9, "[0, inf)");
  const historySize = checkInteger(owner, "historySize", options.historySize ?? 100, "[1, inf)");
  const lineSearch = options.lineSearchFn ?? null;
  if (lineSearch !== null && lineSearch !== "strong_wolfe")
    throw new RangeError(
      `${owner}: lineSearchFn must be null or "strong_wolfe", got ${showValue(lineSearch)}`,
    );

  /** The leaves as one flat vector; all leaves must share a dtype (PyTorch concatenates them). */
  const flatten = (tree: Tree): FloatArray => {
    const leaves = leavesOf(tree);
    const f32 = leaves[0] instanceof Float32Array;
    if (leaves.some((l) => l instanceof Float32Array !== f32))
      throw new TypeError(`${owner}: every leaf must have the same dtype (L-BFGS works on one flat vector)`);
    const n = leaves.reduce((a, l) => a + l.length, 0);
    const out = f32 ? new Float32Array(n) : new Float64Array(n);
    let o = 0;
    for (const l of leaves) {
      out.set(l, o);
      o += l.length;
    }
    return out;
  };
  const like = (v: FloatArray, n = v.length) =>
    v instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);

  return {
    [withTwoLoop]: (k: TwoLoopKernel) => build(options, k),
    config: () => ({
      lr,
      maxIter,
      maxEval,
      toleranceGrad,
      toleranceChange,
      historySize,
      lineSearchFn: lineSearch ?? "none",
    }),
    init(params) {
      const flat = flatten(params);
      return {
        count: 0,
        funcEvals: 0,
        nIter: 0,
        d: like(flat),
        t: 0,
        hDiag: 1,
        prevFlatGrad: like(flat),
        prevLoss: 0,
        history: [],
      };
    },
    buffers: () => ({}),
    checkState(state) {
      if (state.history.length > historySize)
        throw new RangeError(
          `${owner}: the state holds ${state.history.length} pairs, more than historySize ${historySize}`,
        );
    },
    update() {
      throw new TypeError(
        `${owner}: L-BFGS evaluates the objective during its update: step it with a closure, opt.step(() => ({ loss, grads }))`,
      );
    },
    *updateWithClosure(updates: Tree, state, params: Tree, firstLoss: number): ClosureUpdate {
      const ps = leavesOf(params);
      /** p += t·d, leaf by leaf (PyTorch's `_add_grad`). */
      const addStep = (t: number, d: FloatArray) => {
        let o = 0;
        for (const p of ps) {
          for (let j = 0; j < p.length; j++) p[j] = p[j]! + t * d[o + j]!;
          o += p.length;
        }
      };
      const setParams = (x: FloatArray[]) => {
        ps.forEach((p, i) => {
          p.set(x[i]!);
        });
      };
      kernel.begin();
      let flatGrad = flatten(updates);
      // float32: PyTorch's scalars (dot products, ρ, γ, the first t) are float32 tensors
      const r = flatGrad instanceof Float32Array ? Math.fround : (x: number) => x;
      const rdot = (a: FloatArray, b: FloatArray) => r(dot(a, b));
      let loss = firstLoss;
      let currentEvals = 1;
      state.funcEvals += 1;
      let optCond = absMax(flatGrad) <= toleranceGrad;
      if (!optCond) {
        let { d, t, hDiag } = state;
        const history = state.history;
        let nIter = 0;
        while (nIter < maxIter) {
          nIter += 1;
          state.nIter += 1;
          if (state.nIter === 1) {
            d = scaled(flatGrad, -1);
            history.length = 0;
            hDiag = 1;
          } else {
            // the newest curvature pair, kept when y·s > 1e-10 (positive curvature)
            const y = difference(flatGrad, state.prevFlatGrad);
            const s = scaled(d, t);
            const ys = rdot(y, s);
            if (ys > 1e-10) {
              if (history.length === historySize) history.shift();
              history.push({ s, y, rho: r(1 / ys) });
              hDiag = r(ys / rdot(y, y));
            }
            d = kernel.twoLoop(flatGrad, history, hDiag, r);
          }
          state.prevFlatGrad.set(flatGrad);
          const prevLoss = loss;
          state.prevLoss = loss;
          if (state.nIter === 1) {
            const inverse = r(1 / r(absSum(flatGrad)));
            t = inverse < 1 ? r(inverse * lr) : lr; // Python's min(1, 1/Σ|g|)·lr
          } else t = lr;
          const gtd = rdot(flatGrad, d);
          if (gtd > -toleranceChange) break;

          let lsEvals = 0;
          if (lineSearch === "strong_wolfe") {
            const x = ps.map((p) => p.slice());
            const dir = d;
            const at = function* (step: number): Generator<void, LinePoint, unknown> {
              addStep(step, dir);
              const e = (yield) as unknown as { loss: number; grads: Tree };
              const grad = flatten(e.grads);
              setParams(x);
              return { loss: e.loss, grad };
            };
            const found = yield* strongWolfe(at, t, d, loss, flatGrad, gtd);
            loss = found.loss;
            flatGrad = found.grad;
            t = found.t;
            lsEvals = found.evaluations;
            addStep(t, d);
            optCond = absMax(flatGrad) <= toleranceGrad;
          } else {
            addStep(t, d);
            if (nIter !== maxIter) {
              const e = yield;
              loss = e.loss;
              flatGrad = flatten(e.grads);
              optCond = absMax(flatGrad) <= toleranceGrad;
              lsEvals = 1;
            }
          }
          currentEvals += lsEvals;
          state.funcEvals += lsEvals;

          if (nIter === maxIter) break;
          if (currentEvals >= maxEval) break;
          if (optCond) break;
          if (absMax(d, t) <= toleranceChange) break;
          if (Math.abs(loss - prevLoss) < toleranceChange) break;
        }
        state.d = d;
        state.t = t;
        state.hDiag = hDiag;
      }
      state.count += 1;
      // the params are where the iterations left them
      for (const u of leavesOf(updates)) u.fill(0);
      return updates;
    },
  };
}
