/**
 * The two factorizations SOAP's eigenbases need, on small dense row-major float64 matrices. Internal.
 *
 * Eigenvectors and QR factors are unique only up to the sign of each column (and the order of equal
 * eigenvalues); SOAP's update is invariant to those signs, since everything projected into a basis
 * is projected back out of the same one.
 */

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations (accurate to the last
 * bits for symmetric input, and simple): the eigenvalues in descending order and the eigenvectors
 * as the columns of a row-major n×n matrix, in the same order.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const x = m[i * n + j]! * m[i * n + j]!;
        total += x;
        if (i !== j) off += x;
      }
    if (off === 0 || off <= 1e-36 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // the rotation angle that zeroes m[p][q]: t = tan θ, the smaller root
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j]! - m[i * n + i]!);
  const values = Float64Array.from(order, (i) => m[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = v[r * n + order[c]!]!;
  return { values, vectors };
}

/**
 * The orthonormal factor Q of A = QR for a square n×n row-major matrix, by Householder reflections
 * (stable where Gram–Schmidt loses orthogonality on ill-conditioned A).
 */
export function orthonormalFactor(a: Float64Array, n: number): Float64Array {
  const r = Float64Array.from(a);
  const reflectors: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < n; i++) norm += r[i * n + k]! * r[i * n + k]!;
    norm = Math.sqrt(norm);
    const w = new Float64Array(n - k);
    if (norm === 0) {
      reflectors.push(w);
      continue;
    }
    // v = x + sign(x₀)·‖x‖·e₀, normalized: no cancellation in its first entry
    const alpha = r[k * n + k]! >= 0 ? norm : -norm;
    for (let i = k; i < n; i++) w[i - k] = r[i * n + k]!;
    w[0]! += alpha;
    let wn = 0;
    for (const x of w) wn += x * x;
    wn = Math.sqrt(wn);
    for (let i = 0; i < w.length; i++) w[i]! /= wn;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < n; i++) dot += w[i - k]! * r[i * n + j]!;
      for (let i = k; i < n; i++) r[i * n + j]! -= 2 * w[i - k]! * dot;
    }
    reflectors.push(w);
  }
  // Q = H₀·H₁·…·H_{n−1}·I, applied from the last reflector back
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const w = reflectors[k]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < n; i++) dot += w[i - k]! * q[i * n + j]!;
      if (dot === 0) continue;
      for (let i = k; i < n; i++) q[i * n + j]! -= 2 * w[i - k]! * dot;
    }
  }
  return q;
}
