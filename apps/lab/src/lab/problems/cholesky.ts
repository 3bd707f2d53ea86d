/**
 * A small dense solver for symmetric positive-definite systems A·x = b: the Cholesky factorization
 * A = L·Lᵀ (about d³/3 multiply-adds) followed by two triangular solves (2·d² each). The Lab uses it
 * for closed-form references (ridge, the minimum-norm interpolant), so it is plain, exact float64.
 */

/** Factors the row-major d×d SPD matrix `a` in place into its lower factor L (upper part left as is). */
export function choleskyInPlace(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    const rowJ = j * d;
    let diag = a[rowJ + j]!;
    for (let k = 0; k < j; k++) diag -= a[rowJ + k]! ** 2;
    if (!(diag > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${j} = ${diag})`);
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const rowI = i * d;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
  }
}

/** Solves L·Lᵀ·x = b given the factor from `choleskyInPlace`; returns a new x. */
export function choleskySolve(l: Float64Array, d: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < d; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  return x;
}

/** x solving A·x = b for a symmetric positive-definite A (copied, not modified). */
export function solveSpd(a: Float64Array, d: number, b: ArrayLike<number>): Float64Array {
  const l = Float64Array.from(a);
  choleskyInPlace(l, d);
  return choleskySolve(l, d, b);
}
