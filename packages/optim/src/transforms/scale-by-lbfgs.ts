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
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]! * t);
    if (v > m) m = v;
    else if (Number.isNaN(v)) return Number.NaN;
  }
  return m;
}

function absSum(a: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

const like = (v: FloatArray, n = v.length) =>
  v instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);

/** a·t, into `out` (a new vector in a's dtype by default; it may be a itself). */
function scaled(a: FloatArray, t: number, out: FloatArray = like(a)): FloatArray {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * t;
  return out;
}

/** a − b, into `out` (a new vector in a's dtype by default). */
function difference(a: FloatArray, b: FloatArray, out: FloatArray = like(a)): FloatArray {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** x ← x + a·y, in place. */
function axpy(x: FloatArray, a: number, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + a * y[i]!;
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
   * scalars as the vectors' dtype does (PyTorch's float32 scalar tensors). Writes d into `out`
   * (g's dtype and length, not one of the history's vectors) and returns it.
   */
  twoLoop(
    g: FloatArray,
    history: readonly LbfgsPair[],
    hDiag: number,
    r: (x: number) => number,
    out: FloatArray,
  ): FloatArray;
}

/** The two-loop recursion in JavaScript. */
export const jsTwoLoop: TwoLoopKernel = {
  name: "js",
  begin() {},
  twoLoop(g, history, hDiag, r, out) {
    const q = scaled(g, -1, out);
    const al = new Array<number>(history.length);
    for (let k = history.length - 1; k >= 0; k--) {
      const h = history[k]!;
      al[k] = r(r(dot(h.s, q)) * h.rho);
      axpy(q, -al[k]!, h.y);
    }
    // q is not needed after this: d takes its place
    const d = scaled(q, hDiag, q);
    for (let k = 0; k < history.length; k++) {
      const h = history[k]!;
      const be = r(r(dot(h.y, d)) * h.rho);
      axpy(d, r(al[k]! - be), h.s);
    }
    return d;
  },
};

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

  /**
   * The leaves as one flat vector, into `into` when given (its dtype and length); all leaves must
   * share a dtype (PyTorch concatenates them).
   */
  const flatten = (tree: Tree, into?: FloatArray): FloatArray => {
    const leaves = leavesOf(tree);
    const f32 = leaves[0] instanceof Float32Array;
    if (leaves.some((l) => l instanceof Float32Array !== f32))
      throw new TypeError(`${owner}: every leaf must have the same dtype (L-BFGS works on one flat vector)`);
    const n = leaves.reduce((a, l) => a + l.length, 0);
    const out = into ?? (f32 ? new Float32Array(n) : new Float64Array(n));
    let o = 0;
    for (const l of leaves) {
      out.set(l, o);
      o += l.length;
    }
    return out;
  };
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
      // vectors for the next curvature pair: those of a pair the history dropped, or of one it refused
      let spare: { s: FloatArray; y: FloatArray } | undefined;
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
            const y = difference(flatGrad, state.prevFlatGrad, spare?.y);
            const s = scaled(d, t, spare?.s);
            spare = undefined;
            const ys = rdot(y, s);
            if (ys > 1e-10) {
              if (history.length === historySize) spare = history.shift();
              history.push({ s, y, rho: r(1 / ys) });
              hDiag = r(ys / rdot(y, y));
            } else spare = { s, y };
            // the new direction takes the old one's place (s holds what the step needs of it)
            d = kernel.twoLoop(flatGrad, history, hDiag, r, d);
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
              // its last value is in prevFlatGrad and the new pair already
              flatGrad = flatten(e.grads, flatGrad);
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
