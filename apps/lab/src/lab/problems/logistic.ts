/**
 * Logistic regression with features of very different scales (x_ij = scale_j·N(0, 1)) and noisy
 * labels y ∈ {−1, +1} drawn from P(y = 1 | x) = σ(x·w_true), so the data are not separable and the
 * regularization strength matters for the test loss:
 *   f(w) = (1/n)·Σ log(1 + exp(−y_i·x_i·w)),   ∇f(w) = −(1/n)·Σ σ(−y_i·x_i·w)·y_i·x_i.
 * The true weights are scaled by 1/scale_j so that every feature carries a comparable signal.
 */
import { normal, rng } from "momenta-optim";

export interface Logistic {
  d: number;
  truth: Float64Array;
  nTrain: number;
  /** Writes the training gradient into g and returns the training loss. */
  gradient(w: ArrayLike<number>, g: Float64Array): number;
  /** The same over the training samples listed in `batch` (a minibatch). */
  batchGradient(w: ArrayLike<number>, g: Float64Array, batch: ArrayLike<number>): number;
  trainLoss(w: ArrayLike<number>): number;
  testLoss(w: ArrayLike<number>): number;
  testError(w: ArrayLike<number>): number;
}

export interface LogisticOptions {
  nTrain: number;
  nTest: number;
  scales: readonly number[];
  seed: number;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function logistic(o: LogisticOptions): Logistic {
  const d = o.scales.length;
  const next = rng(o.seed);
  const gauss = normal(next);
  const truth = Float64Array.from(o.scales, (s) => (s > 0 ? gauss() / s : 0));
  const sample = (n: number) => {
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) {
        const x = o.scales[j]! * gauss();
        X[i * d + j] = x;
        z += x * truth[j]!;
      }
      y[i] = next() < 1 / (1 + Math.exp(-z)) ? 1 : -1;
    }
    return { X, y, n };
  };
  const train = sample(o.nTrain);
  const test = sample(o.nTest);
  const margin = (set: typeof train, i: number, w: ArrayLike<number>) => {
    let z = 0;
    for (let j = 0; j < d; j++) z += set.X[i * d + j]! * w[j]!;
    return set.y[i]! * z;
  };
  const meanLoss = (set: typeof train, w: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < set.n; i++) s += softplus(-margin(set, i, w));
    return s / set.n;
  };
  const all = Int32Array.from({ length: train.n }, (_, i) => i);
  function batchGradient(w: ArrayLike<number>, g: Float64Array, batch: ArrayLike<number>): number {
    g.fill(0);
    let s = 0;
    const m = batch.length;
    for (let b = 0; b < m; b++) {
      const i = batch[b]!;
      const z = margin(train, i, w);
      s += softplus(-z);
      // σ(−z) = 1/(1 + e^z): the weight of a sample in the gradient.
      const c = -(train.y[i]! / (1 + Math.exp(z))) / m;
      for (let j = 0; j < d; j++) g[j]! += c * train.X[i * d + j]!;
    }
    return s / m;
  }
  return {
    d,
    truth,
    trainLoss: (w) => meanLoss(train, w),
    testLoss: (w) => meanLoss(test, w),
    testError(w) {
      let wrong = 0;
      for (let i = 0; i < test.n; i++) if (margin(test, i, w) <= 0) wrong++;
      return wrong / test.n;
    },
    nTrain: train.n,
    gradient: (w, g) => batchGradient(w, g, all),
    batchGradient,
  };
}
