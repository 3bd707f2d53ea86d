/**
 * Ridge regression on a least-squares problem (see least-squares.ts):
 *   f(w) = ½·(1/n)·‖X·w − y‖² + ½·λ·‖w‖²,   ∇f(w) = (1/n)·Xᵀ(X·w − y) + λ·w,
 * whose unique minimizer is the closed form w* = (XᵀX/n + λI)⁻¹·Xᵀy/n, computed here by forming
 * the Gram matrix (n·d² multiply-adds) and a Cholesky solve (d³/3). Flop counts are returned so the
 * direct and iterative costs can be compared independently of the machine.
 */
import { choleskyInPlace, choleskySolve } from "./cholesky.ts";
import type { LeastSquares } from "./least-squares.ts";

export interface Ridge {
  lambda: number;
  d: number;
  /** Writes ∇f(w) into g and returns f(w). */
  gradient(w: ArrayLike<number>, g: Float64Array): number;
  /** Multiply-adds of one gradient (two passes over X). */
  gradientFlops: number;
}

export function ridge(p: LeastSquares, lambda: number): Ridge {
  return {
    lambda,
    d: p.d,
    gradient(w, g) {
      let loss = p.gradient(w, g);
      for (let j = 0; j < p.d; j++) {
        g[j]! += lambda * w[j]!;
        loss += 0.5 * lambda * w[j]! ** 2;
      }
      return loss;
    },
    gradientFlops: 2 * p.n * p.d,
  };
}

/** The closed-form ridge solution and its multiply-add count (Gram n·d²/2 by symmetry, Cholesky d³/3, solves). */
export function ridgeClosedForm(
  p: Pick<LeastSquares, "n" | "d" | "X" | "y">,
  lambda: number,
): { w: Float64Array; flops: number } {
  const { n, d, X, y } = p;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const xj = X[row + j]!;
      if (xj === 0) continue;
      b[j]! += (xj * y[i]!) / n;
      const aj = j * d;
      for (let k = 0; k <= j; k++) a[aj + k]! += xj * X[row + k]!;
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      const v = a[j * d + k]! / n + (j === k ? lambda : 0);
      a[j * d + k] = v;
      a[k * d + j] = v;
    }
  }
  choleskyInPlace(a, d);
  return { w: choleskySolve(a, d, b), flops: (n * d * d) / 2 + d ** 3 / 3 + 2 * d * d + n * d };
}
