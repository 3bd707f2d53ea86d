/**
 * The ops path of `tfjsOptimizer`: a fusible chain (an optimizer alias carrying a fusion spec,
 * optionally after `clipByGlobalNorm`) run as TF.js ops on the variables, for backends whose memory
 * JS cannot reach (webgl, webgpu): the moments live in slot variables, the per-step scalars are
 * computed in JS from the chain's own state objects (whose counts advance as the fused kernels
 * advance them), and one `tf.tidy` per step assigns every moment and variable. Nothing is read back
 * per step (except the gradient norm when clipping is strict, which must throw before any write).
 *
 * The host state (the chain's state objects, held by a momenta handle) keeps the layout: `download`
 * brings the slots into it before a save, `upload` pushes a loaded state into the slots, so state
 * dicts are the same whichever path ran.
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  BUFFERS,
  type BufferName,
  fusibleParts,
  type Plan,
  plan,
  resolveStep,
  type StepScalars,
  stepScalars,
} from "../kernels/plan.js";
import type { AnyTransformation } from "../transform.js";
import { resolveMask, type Tree } from "../tree.js";

/** Why the ops path cannot run this chain, or undefined when it can. */
export function opsUnfusible(tx: AnyTransformation): string | undefined {
  const parts = fusibleParts(tx);
  return typeof parts === "string" ? parts : undefined;
}

function planOrThrow(tx: AnyTransformation, state: unknown): Plan {
  const p = plan(tx, state);
  if (typeof p === "string") throw new TypeError(`tfjsOptimizer: the ops path cannot run this chain: ${p}`);
  return p;
}

/** torch's total norm (the p-norm of the per-leaf p-norms) as ops: the same value up to float32 sums. */
function globalNormOps(grads: readonly tf.Tensor[], p: number): tf.Scalar {
  return tf.tidy(() => {
    if (p === Infinity) return tf.max(tf.stack([tf.scalar(0), ...grads.map((g) => tf.max(tf.abs(g)))]));
    if (p === 2) return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    if (p === 1) return tf.addN(grads.map((g) => tf.sum(tf.abs(g))));
    return tf.pow(tf.addN(grads.map((g) => tf.sum(tf.pow(tf.abs(g), p)))), 1 / p);
  }) as tf.Scalar;
}

/** A registered-variable name not taken yet (a second optimizer on the same variables gets `_1`…). */
function freeName(base: string): string {
  const taken = tf.engine().registeredVariables;
  let name = base;
  for (let k = 1; taken[name]; k++) name = `${base}_${k}`;
  return name;
}

export class OpsPath {
  private readonly plan: Plan;
  private readonly decayed: boolean[];
  /** One float32 slot variable per moment buffer and variable, named `<variable>/<buffer>`. */
  readonly slots: Partial<Record<BufferName, tf.Variable[]>> = {};
  /** The last total norm, kept on device until a save needs it. */
  private norm: tf.Scalar | undefined;
  /** True when the slots are ahead of the host state buffers. */
  stale = false;

  /**
   * `state` is the chain's state (the handle's, so counts advanced here are the ones it saves);
   * `params` the tree the masks are resolved on (the arrays path's, so masks select the same leaves).
   */
  constructor(
    tx: AnyTransformation,
    state: unknown,
    params: Tree,
    private readonly variables: tf.Variable[],
  ) {
    this.plan = planOrThrow(tx, state);
    this.decayed = resolveMask(this.plan.spec.mask, params);
    for (const name of BUFFERS) {
      const host = this.plan.buffers[name];
      if (!host) continue;
      this.slots[name] = variables.map((v, i) =>
        tf.tidy(() =>
          tf.variable(tf.tensor(host[i]!, v.shape, "float32"), false, freeName(`${v.name}/${name}`)),
        ),
      );
    }
  }

  /**
   * One update of every variable from `grads` (in the variables' order; the caller has checked that
   * each is a live float32 tensor of its variable's shape). All or nothing: every new value is
   * computed before the first is assigned, so whatever throws (a schedule's value out of range, a
   * non-finite norm under strict clipping, an op) leaves variables, slots, counts and norm as they were.
   */
  step(grads: readonly tf.Tensor[]): void {
    const p = this.plan;
    const s = stepScalars();
    resolveStep(p, s); // range-checks every scheduled value: may throw, nothing written yet
    const { clip } = p;
    let norm: tf.Scalar | undefined;
    if (clip) {
      norm = globalNormOps(grads, clip.normType);
      if (clip.strict) {
        // The one read a step needs, and only here: the chain throws before writing anything.
        const n = norm.dataSync()[0]!;
        if (!Number.isFinite(n)) {
          norm.dispose();
          throw new RangeError(
            `clipByGlobalNorm: the total ${clip.normType}-norm of the gradients is ${n}; nothing was changed`,
          );
        }
      }
    }
    try {
      tf.tidy(() => this.update(grads, s, norm));
    } catch (e) {
      norm?.dispose();
      throw e;
    }
    if (norm) {
      tf.dispose(this.norm);
      this.norm = tf.keep(norm); // tfjs-layers runs each step inside its own tidy
    }
    for (const x of p.counts) x.count += 1;
    this.stale = true;
  }

  /** The step's ops (inside a tidy): every new moment and value computed, then all assigned. */
  private update(grads: readonly tf.Tensor[], s: StepScalars, norm: tf.Scalar | undefined): void {
    const { spec, clip } = this.plan;
    /** The assignments, made only once every value has been computed. */
    const writes: [tf.Variable, tf.Tensor][] = [];
    const c = (x: number) => tf.scalar(x, "float32");
    // u ← ±g·coef, as the kernels fold clipping and maximize into one factor
    let gain: tf.Tensor | undefined;
    if (clip) {
      const coef = tf.minimum(tf.mul(tf.div(c(1), tf.add(norm!, c(1e-6))), c(clip.maxNorm)), c(1));
      gain = spec.maximize ? tf.neg(coef) : coef;
    }
    const negLr = c(-s.lr);
    const l2 = s.l2 !== 0 && spec.kind !== "lion" ? c(s.l2) : undefined;
    const wd = s.wd !== 0 ? c(s.wd) : undefined;
    const k = {
      b1: c(s.b1),
      b1c: c(1 - s.b1),
      b2: c(s.b2),
      b2c: c(1 - s.b2),
      bc1: c(s.bc1),
      bc2Sqrt: c(s.bc2Sqrt),
      eps: c(s.eps),
      mu: c(s.mu),
      keep: c(s.keep),
      alpha: c(s.alpha),
      alphac: c(1 - s.alpha),
    };
    const slot = (name: BufferName, i: number) => this.slots[name]![i]!;
    /** Heavy-ball/Nesterov momentum exactly as `trace`: b ← u on the first update. */
    const momentum = (u: tf.Tensor, i: number): tf.Tensor => {
      const b = slot("momentumBuffer", i);
      const next = s.first ? u : tf.add(tf.mul(b, k.mu), tf.mul(u, k.keep));
      writes.push([b, next]);
      return spec.kind === "sgd" && spec.nesterov ? tf.add(u, tf.mul(next, k.mu)) : next;
    };
    this.variables.forEach((v, i) => {
      const g = grads[i]!;
      let u: tf.Tensor = gain ? tf.mul(g, gain) : spec.maximize ? tf.neg(g) : g;
      if (l2 && this.decayed[i]) u = tf.add(u, tf.mul(v, l2));
      if (spec.kind === "adam") {
        const m = tf.add(tf.mul(slot("expAvg", i), k.b1), tf.mul(u, k.b1c));
        const sq = tf.add(tf.mul(slot("expAvgSq", i), k.b2), tf.mul(tf.square(u), k.b2c));
        writes.push([slot("expAvg", i), m], [slot("expAvgSq", i), sq]);
        let vv = sq;
        if (spec.amsgrad) {
          vv = tf.maximum(slot("maxExpAvgSq", i), sq);
          writes.push([slot("maxExpAvgSq", i), vv]);
        }
        u = tf.div(tf.div(m, k.bc1), tf.add(tf.div(tf.sqrt(vv), k.bc2Sqrt), k.eps));
      } else if (spec.kind === "sgd") {
        if (s.hasMomentum) u = momentum(u, i);
      } else if (spec.kind === "rmsprop") {
        const sq = tf.add(tf.mul(slot("squareAvg", i), k.alpha), tf.mul(tf.square(u), k.alphac));
        writes.push([slot("squareAvg", i), sq]);
        let variance = sq;
        if (spec.centered) {
          const avg = tf.add(tf.mul(slot("gradAvg", i), k.alpha), tf.mul(u, k.alphac));
          writes.push([slot("gradAvg", i), avg]);
          variance = tf.sub(sq, tf.square(avg));
        }
        u = tf.div(u, tf.add(tf.sqrt(variance), k.eps));
        if (s.hasMomentum) u = momentum(u, i);
      } else if (spec.kind === "lion") {
        const m = slot("expAvg", i);
        const dir = tf.add(tf.mul(m, k.b1), tf.mul(u, k.b1c));
        writes.push([m, tf.add(tf.mul(m, k.b2), tf.mul(u, k.b2c))]);
        u = tf.sign(dir);
      } else {
        const sum = tf.add(slot("sum", i), tf.square(u));
        writes.push([slot("sum", i), sum]);
        u = tf.div(u, tf.add(tf.sqrt(sum), k.eps));
      }
      if (wd && this.decayed[i]) u = tf.add(u, tf.mul(v, wd));
      writes.push([v, tf.add(v, tf.mul(u, negLr))]);
    });
    for (const [variable, value] of writes) variable.assign(value);
  }

  /** Copies the slots (and the last gradient norm) into the host state: a read, for saving. */
  download(): void {
    for (const name of BUFFERS) {
      const host = this.plan.buffers[name];
      this.slots[name]?.forEach((slot, i) => {
        host![i]!.set(slot.dataSync() as Float32Array);
      });
    }
    if (this.plan.clip && this.norm) this.plan.clip.state.totalNorm = this.norm.dataSync()[0]!;
    this.stale = false;
  }

  /** Writes the host state (just loaded) into the slots. */
  upload(): void {
    for (const name of BUFFERS) {
      const host = this.plan.buffers[name];
      this.slots[name]?.forEach((slot, i) => {
        tf.tidy(() => slot.assign(tf.tensor(host![i]!, slot.shape, "float32")));
      });
    }
    tf.dispose(this.norm); // the loaded totalNorm is the current one now
    this.norm = undefined;
    this.stale = false;
  }

  dispose(): void {
    for (const list of Object.values(this.slots)) tf.dispose(list);
    tf.dispose(this.norm);
    this.norm = undefined;
  }
}
