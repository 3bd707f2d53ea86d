/**
 * The strong-Wolfe line search of PyTorch's L-BFGS (`torch/optim/lbfgs.py`, itself a port of
 * torch7's `lswolfe.lua` and minFunc's): bracket a step satisfying the strong Wolfe conditions,
 * then zoom in on it with safeguarded cubic interpolation. Written as a generator: each yield asks
 * for the loss and gradient at `x + t·d`, which the caller has set the params to.
 */
import type { FloatArray } from "../tree.js";

/** One evaluation along the line: the loss and the flat gradient at x + t·d. */
export interface LinePoint {
  loss: number;
  grad: FloatArray;
}

/** Python's `max(a, b)` and `min(a, b)`: the first unless the second is strictly beyond it (NaN kept as PyTorch keeps it). */
const pyMax = (a: number, b: number) => (b > a ? b : a);
const pyMin = (a: number, b: number) => (b < a ? b : a);

/**
 * The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
 * `bounds` (default: between the two points); the bounds' midpoint when the cubic has no minimum.
 */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/**
 * a·b in float64, in four interleaved partial sums (element i into sum i mod 4, the n mod 4 last
 * into sum 0), returned as (s0 + s1) + (s2 + s3): four independent add chains instead of one (a
 * dot product is latency-bound otherwise), and the order the WASM kernels (`dot32`, `dot64`)
 * reproduce bit for bit.
 */
export function dot(a: FloatArray, b: FloatArray): number {
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
 * Searches along `d` from the point where the loss is `f`, the gradient `g` and the slope
 * `gtd = g·d`, starting at step `t`. `evaluateAt(t)` is delegated to with `yield*`: it sets the
 * params to x + t·d, evaluates there and puts them back. Returns the accepted step, its loss and
 * gradient, and how many evaluations it took. `c1`, `c2`: the sufficient-decrease and curvature
 * constants; `toleranceChange`: the smallest bracket (times max |d|) worth shrinking; `maxLs`: the
 * evaluation budget. PyTorch's defaults.
 */
export function* strongWolfe(
  evaluateAt: (t: number) => Generator<void, LinePoint, unknown>,
  t0: number,
  d: FloatArray,
  f: number,
  g: FloatArray,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): Generator<void, { loss: number; grad: FloatArray; t: number; evaluations: number }, unknown> {
  // float32: PyTorch's slopes are float32 tensors, and so is the sufficient-decrease bound the loss
  // is compared with (in float32)
  const r = d instanceof Float32Array ? Math.fround : (x: number) => x;
  const slope = (v: FloatArray) => r(dot(v, d));
  const armijoFails = (fx: number, step: number) => r(fx) > r(f + r(c1 * step * gtd));
  let dNorm = 0;
  for (const x of d) dNorm = Math.max(dNorm, Math.abs(x)); // torch's max: NaN wins
  let t = t0;
  let { loss: fNew, grad: gNew } = yield* evaluateAt(t);
  let evaluations = 1;
  let gtdNew = slope(gNew);

  // bracket an interval containing a point satisfying the strong Wolfe conditions
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: FloatArray[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (armijoFails(fNew, t) || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // extrapolate: between 1.01·t and 10·t
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = previous;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    ({ loss: fNew, grad: gNew } = yield* evaluateAt(t));
    evaluations += 1;
    gtdNew = slope(gNew);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  // zoom: shrink the bracket until its low end satisfies the conditions
  let insufficientProgress = false;
  let [low, high] = bracketF[0]! <= bracketF.at(-1)! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0]!,
      bracketF[0]!,
      bracketGtd[0]!,
      bracket[1]!,
      bracketF[1]!,
      bracketGtd[1]!,
    );
    // a trial too close to an end (twice running, or at it) moves to 10 % of the bracket inside it
    const bMax = pyMax(bracket[0]!, bracket[1]!);
    const bMin = pyMin(bracket[0]!, bracket[1]!);
    const eps = 0.1 * (bMax - bMin);
    if (pyMin(bMax - t, t - bMin) < eps) {
      if (insufficientProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufficientProgress = false;
      } else insufficientProgress = true;
    } else insufficientProgress = false;

    ({ loss: fNew, grad: gNew } = yield* evaluateAt(t));
    evaluations += 1;
    gtdNew = slope(gNew);
    lsIter += 1;

    if (armijoFails(fNew, t) || fNew >= bracketF[low]!) {
      // not a sufficient decrease, or not below the low end: the new point is the high end
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = gNew;
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        // the old low end becomes the high end
        bracket[high] = bracket[low]!;
        bracketF[high] = bracketF[low]!;
        bracketG[high] = bracketG[low]!;
        bracketGtd[high] = bracketGtd[low]!;
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = gNew;
      bracketGtd[low] = gtdNew;
    }
  }
  return { loss: bracketF[low]!, grad: bracketG[low]!, t: bracket[low]!, evaluations };
}
