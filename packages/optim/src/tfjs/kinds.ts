/**
 * The TF.js ops backend of the fused kinds: each kind's preconditioner as TF.js ops, in one table
 * typed `{ [K in Kind]: OpsKernel<K> | Unsupported }` — a kind added to the registry
 * (`kernels/kinds/`) fails to compile here until it has an entry (its ops, or `{ unsupported: "why" }`).
 *
 * One table rather than a file per kind: the core (`kernels/`) must not import TF.js, so these
 * expressions cannot sit in the kinds' own modules; each is a few lines over the same helpers
 * (constants, slots, the deferred writes, momentum), and one table keeps a new kind at one tfjs-side
 * edit. The numbers follow the kinds' JS loops: the same operations in the same order, in float32
 * (and the same handling of NaN and ±∞: see the comments on AMSGrad, centering and Lion's sign).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ScalarsOf } from "../kernels/kinds/index.js";
import type { Kind, Scalars, SpecOf, Unsupported } from "../kernels/kinds/kind.js";
import type { MomentumScalars } from "../kernels/kinds/shared.js";
import type { FusionSpec } from "../optimizers/fusion.js";

/** What a kind's ops are given each step (inside the step's tidy). */
export interface OpsStep {
  /** A float32 scalar constant. */
  c(x: number): tf.Scalar;
  /** Variable i's slot variable for the kind's buffer `name`. */
  slot(name: string, i: number): tf.Variable;
  /** Queues `variable ← value`, assigned once every value of the step has been computed. */
  write(variable: tf.Variable, value: tf.Tensor): void;
}

/** A kind as TF.js ops: per step, its constants; per variable, u (after clip, maximize and L2) ↦ the update before decay and lr. */
export interface OpsKernel<K extends Kind> {
  step(spec: SpecOf<K>, s: ScalarsOf<K>, ops: OpsStep): (u: tf.Tensor, i: number) => tf.Tensor;
}

/** A kind's ops with its types erased (what the ops path holds). */
export interface AnyOpsKernel {
  step(spec: FusionSpec, s: Scalars, ops: OpsStep): (u: tf.Tensor, i: number) => tf.Tensor;
}

/** Heavy-ball/Nesterov momentum exactly as `trace`: b ← u on the first update. */
function momentum(s: MomentumScalars, ops: OpsStep): (u: tf.Tensor, i: number) => tf.Tensor {
  const mu = ops.c(s.mu);
  const keep = ops.c(s.keep);
  return (u, i) => {
    if (!s.hasMomentum) return u;
    const b = ops.slot("momentumBuffer", i);
    const next = s.first ? u : tf.add(tf.mul(b, mu), tf.mul(u, keep));
    ops.write(b, next);
    return s.nesterov ? tf.add(u, tf.mul(next, mu)) : next;
  };
}

/** (c·u)·u: the order the reference computes c·u² in, which stays finite while c·u² does. */
const scaledSquare = (u: tf.Tensor, c: tf.Scalar) => tf.mul(tf.mul(u, c), u);

/** Adam's two moments (Adam, NAdam, RAdam), queued for writing: m ← β1·m + (1−β1)·u, v ← β2·v + (1−β2)·u². */
function moments(s: { b1: number; b2: number }, ops: OpsStep) {
  const [b1, b1c, b2, b2c] = [s.b1, 1 - s.b1, s.b2, 1 - s.b2].map(ops.c) as tf.Scalar[];
  return (u: tf.Tensor, i: number): { m: tf.Tensor; v: tf.Tensor } => {
    const m = tf.add(tf.mul(ops.slot("expAvg", i), b1!), tf.mul(u, b1c!));
    const v = tf.add(tf.mul(ops.slot("expAvgSq", i), b2!), scaledSquare(u, b2c!));
    ops.write(ops.slot("expAvg", i), m);
    ops.write(ops.slot("expAvgSq", i), v);
    return { m, v };
  };
}

const OPS = {
  adam: {
    step(spec, s, ops) {
      const next = moments(s, ops);
      const [bc1, bc2Sqrt, eps] = [s.bc1, s.bc2Sqrt, s.eps].map(ops.c) as tf.Scalar[];
      return (u, i) => {
        const { m, v: sq } = next(u, i);
        let v = sq;
        if (spec.amsgrad) {
          // max as the reference takes it: a NaN second moment keeps the old maximum
          const max = ops.slot("maxExpAvgSq", i);
          v = tf.where(tf.greater(sq, max), sq, max);
          ops.write(max, v);
        }
        // m / denominator first: an infinite v gives 0 (as in float64), not ∞/∞
        return tf.div(tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2Sqrt!), eps!)), bc1!);
      };
    },
  },
  sgd: {
    step(_spec, s, ops) {
      return momentum(s, ops);
    },
  },
  rmsprop: {
    step(spec, s, ops) {
      const [alpha, ca, eps] = [s.alpha, 1 - s.alpha, s.eps].map(ops.c) as tf.Scalar[];
      const withMomentum = momentum(s, ops);
      return (u, i) => {
        const sq = tf.add(tf.mul(ops.slot("squareAvg", i), alpha!), scaledSquare(u, ca!));
        ops.write(ops.slot("squareAvg", i), sq);
        let variance = sq;
        if (spec.centered) {
          const avg = tf.add(tf.mul(ops.slot("gradAvg", i), alpha!), tf.mul(u, ca!));
          ops.write(ops.slot("gradAvg", i), avg);
          // An infinite square average stays infinite, as in float64 (not ∞ − ∞ when avg² overflows).
          variance = tf.where(tf.logicalAnd(tf.isInf(sq), tf.isFinite(avg)), sq, tf.sub(sq, tf.square(avg)));
        }
        return withMomentum(tf.div(u, tf.add(tf.sqrt(variance), eps!)), i);
      };
    },
  },
  lion: {
    step(_spec, s, ops) {
      const [b1, b1c, b2, b2c] = [s.b1, 1 - s.b1, s.b2, 1 - s.b2].map(ops.c) as tf.Scalar[];
      return (u, i) => {
        const m = ops.slot("expAvg", i);
        const dir = tf.add(tf.mul(m, b1!), tf.mul(u, b1c!));
        ops.write(m, tf.add(tf.mul(m, b2!), tf.mul(u, b2c!)));
        // Math.sign's: NaN stays NaN (tf.sign gives 0)
        return tf.where(tf.isNaN(dir), dir, tf.sign(dir));
      };
    },
  },
  adagrad: {
    step(_spec, s, ops) {
      const eps = ops.c(s.eps);
      return (u, i) => {
        const sum = tf.add(ops.slot("sum", i), tf.square(u));
        ops.write(ops.slot("sum", i), sum);
        return tf.div(u, tf.add(tf.sqrt(sum), eps));
      };
    },
  },
  adamax: {
    step(_spec, s, ops) {
      const [b1, b1c, b2, bc1, eps] = [s.b1, 1 - s.b1, s.b2, s.bc1, s.eps].map(ops.c) as tf.Scalar[];
      return (u, i) => {
        const m = tf.add(tf.mul(ops.slot("expAvg", i), b1!), tf.mul(u, b1c!));
        const a = tf.mul(ops.slot("expInf", i), b2!);
        const b = tf.add(tf.abs(u), eps!);
        // Math.max's: NaN wins
        const n = tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.add(a, b), tf.maximum(a, b));
        ops.write(ops.slot("expAvg", i), m);
        ops.write(ops.slot("expInf", i), n);
        return tf.div(tf.div(m, n), bc1!);
      };
    },
  },
  nadam: {
    step(_spec, s, ops) {
      const next = moments(s, ops);
      const [bc2Sqrt, eps, cGrad, cAvg] = [Math.sqrt(s.bc2), s.eps, s.cGrad, s.cAvg].map(
        ops.c,
      ) as tf.Scalar[];
      return (u, i) => {
        const { m, v } = next(u, i);
        // √v/√bc2: v/bc2 itself can pass float32's range where the reference's float64 does not
        const d = tf.add(tf.div(tf.sqrt(v), bc2Sqrt!), eps!);
        // (u/d)·cGrad: the reference's (cGrad·u)/d can overflow float32 where d = ∞ makes it 0
        return tf.add(tf.mul(tf.div(u, d), cGrad!), tf.mul(tf.div(m, d), cAvg!));
      };
    },
  },
  radam: {
    step(_spec, s, ops) {
      const next = moments(s, ops);
      const [bc1, bc2Sqrt, eps, rect] = [s.bc1, s.bc2Sqrt, s.eps, s.rect].map(ops.c) as tf.Scalar[];
      return (u, i) => {
        const { m, v } = next(u, i);
        const mHat = tf.div(m, bc1!);
        return s.rectify ? tf.mul(tf.mul(mHat, tf.div(bc2Sqrt!, tf.add(tf.sqrt(v), eps!))), rect!) : mHat;
      };
    },
  },
  adadelta: {
    step(_spec, s, ops) {
      const [rho, c, eps] = [s.rho, 1 - s.rho, s.eps].map(ops.c) as tf.Scalar[];
      return (u, i) => {
        const sq = tf.add(tf.mul(ops.slot("squareAvg", i), rho!), scaledSquare(u, c!));
        const d = ops.slot("accDelta", i);
        const delta = tf.mul(tf.div(tf.sqrt(tf.add(d, eps!)), tf.sqrt(tf.add(sq, eps!))), u);
        ops.write(ops.slot("squareAvg", i), sq);
        ops.write(d, tf.add(tf.mul(d, rho!), scaledSquare(delta, c!)));
        return delta;
      };
    },
  },
  lamb: {
    unsupported:
      "its trust ratio scales the update after the decay, which the ops path adds last (its GPU programs run it on webgpu and webgl, the arrays path elsewhere)",
  },
  scheduleFreeAdamw: {
    unsupported:
      "its params are rebuilt from two sequences (z, x), where the ops path adds a scaled update (its GPU programs run it on webgpu and webgl, the arrays path elsewhere)",
  },
} satisfies { [K in Kind]: OpsKernel<K> | Unsupported };

/** The ops of a kind, types erased. */
export function opsKernelOf(kind: Kind): AnyOpsKernel | Unsupported {
  return OPS[kind];
}
