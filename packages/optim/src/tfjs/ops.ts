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
import { kindOf } from "../kernels/kinds/index.js";
import { type GpuKernel, isUnsupported, type Scalars } from "../kernels/kinds/kind.js";
import { fusibleParts, type Plan, plan, resolveStep } from "../kernels/plan.js";
import type { FusionSpec } from "../optimizers/fusion.js";
import type { AnyTransformation } from "../transform.js";
import { resolveMask, type Tree } from "../tree.js";
import { gpuStep, webgpuBackend } from "./gpu.js";
import { type AnyOpsKernel, opsKernelOf } from "./kinds.js";
import { webglBackend, webglStep } from "./webgl.js";

/** Why the ops path cannot run this chain, or undefined when it can. */
export function opsUnfusible(tx: AnyTransformation): string | undefined {
  const parts = fusibleParts(tx);
  if (typeof parts === "string") return parts;
  const spec = parts.alias.fusion as FusionSpec;
  // the ops keep every moment as a tensor of the variable's dtype
  if (spec.stateDtype !== undefined)
    return `${spec.owner} keeps its moments as ${spec.stateDtype} (stateDtype), and the ops keep them as float32 tensors: the reference chain runs it`;
  const ops = opsKernelOf(spec.kind);
  if (!isUnsupported(ops)) return undefined;
  // a kind with GPU programs but no ops (LAMB, Schedule-Free) runs on the GPU backends only
  const gpu = kindOf(spec.kind).gpu;
  if (!isUnsupported(gpu) && gpuBackend()) return undefined;
  return `the ops path does not run ${spec.owner}${isUnsupported(gpu) ? "" : " on this backend (its GPU programs need TF.js's webgpu or webgl)"}: ${ops.unsupported}`;
}

/** TF.js's backend now, when it is one the kinds' GPU programs run on. */
function gpuBackend() {
  const webgpu = webgpuBackend();
  if (webgpu) return { webgpu };
  const webgl = webglBackend();
  return webgl ? { webgl } : undefined;
}

function planOrThrow(tx: AnyTransformation, state: unknown): Plan {
  const p = plan(tx, state);
  const why = typeof p === "string" ? p : opsUnfusible(tx);
  if (why !== undefined) throw new TypeError(`tfjsOptimizer: the ops path cannot run this chain: ${why}`);
  return p as Plan;
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
  /** The kind's ops (`tfjs/kinds.ts`); none for a kind that runs only as GPU programs. */
  private readonly kernel: AnyOpsKernel | undefined;
  /** The step's scalars, refilled every step. */
  private readonly scalars: Scalars;
  private readonly decayed: boolean[];
  /** One float32 slot variable per moment buffer and variable, named `<variable>/<buffer>`. */
  readonly slots: Partial<Record<string, tf.Variable[]>> = {};
  /** The last total norm, kept on device until a save needs it. */
  private norm: tf.Scalar | undefined;
  /** True when the slots are ahead of the host state buffers. */
  stale = false;
  /** The kind's GPU programs, when it has them: run on the webgpu (WGSL) and webgl (GLSL) backends. */
  private readonly gpuKernel: GpuKernel<Scalars> | undefined;
  /** What ran the last step: the kind's webgpu or webgl programs, or TF.js's ops. */
  lastKernel: "webgpu" | "webgl" | "ops" | undefined;

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
    const ops = opsKernelOf(this.plan.spec.kind);
    this.kernel = isUnsupported(ops) ? undefined : ops;
    const gpu = this.plan.kind.gpu;
    this.gpuKernel = isUnsupported(gpu) ? undefined : gpu;
    this.scalars = this.plan.kind.scalars();
    this.scalars.negate = this.plan.spec.maximize;
    this.decayed = resolveMask(this.plan.spec.mask, params);
    for (const [name, host] of Object.entries(this.plan.buffers)) {
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
    const s = this.scalars;
    if (!this.kernel && !gpuBackend()) {
      throw new Error(
        `tfjsOptimizer: ${p.spec.owner} runs here only as GPU programs, and TF.js's backend is now ${tf.getBackend()} (not webgpu or webgl); nothing was changed`,
      );
    }
    resolveStep(p, s); // range-checks every scheduled value: may throw, nothing written yet
    const { clip } = p;
    if (clip?.strict && tf.getBackend() === "webgpu") {
      throw new Error(
        "clipByGlobalNorm: errorIfNonfinite needs the gradients' norm read back before each step, and TF.js's webgpu backend cannot be read synchronously (its dataSync is unreliable: on Chromium's SwiftShader adapter it returned zeros and lost the device); nothing was changed. Use errorIfNonfinite: false there, or the webgl backend",
      );
    }
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
    p.kind.commit?.(s, p.at);
    for (const x of p.counts) x.count += 1;
    this.stale = true;
  }

  /** The step's ops (inside a tidy): every new moment and value computed, then all assigned. */
  private update(grads: readonly tf.Tensor[], s: Scalars, norm: tf.Scalar | undefined): void {
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
    const l2 = s.l2 !== 0 ? c(s.l2) : undefined;
    const wd = s.wd !== 0 ? c(s.wd) : undefined;
    // On webgpu and webgl, the kind's own programs (tfjs/gpu.ts, tfjs/webgl.ts): a dispatch (a draw)
    // per buffer and one per variable.
    const gpu = this.gpuKernel ? gpuBackend() : undefined;
    this.lastKernel = gpu?.webgpu ? "webgpu" : gpu?.webgl ? "webgl" : "ops";
    if (gpu) {
      const kind = this.plan.spec.kind;
      const gain1 = gain ? tf.reshape(gain, [1]) : undefined;
      this.variables.forEach((v, i) => {
        const slots = Object.fromEntries(
          Object.entries(this.slots).map(([name, list]) => [name, list![i]! as tf.Tensor]),
        );
        const on = this.decayed[i]!;
        const step = {
          g: grads[i]!,
          p: v,
          slots,
          gain: gain1,
          negate: !clip && spec.maximize,
          l2: on ? s.l2 : 0,
          wd: on ? s.wd : 0,
          lr: s.lr,
        };
        const r = gpu.webgpu
          ? gpuStep(gpu.webgpu, kind, this.gpuKernel!, s, step)
          : webglStep(gpu.webgl!, this.gpuKernel!, s, step);
        for (const [name, t] of r.buffers) writes.push([this.slots[name]![i]!, t]);
        writes.push([v, r.value]);
      });
      for (const [variable, value] of writes) variable.assign(value);
      return;
    }
    // The kind's preconditioner (tfjs/kinds.ts), its constants made once per step (step() checked
    // that a kind without ops has a GPU backend).
    const precondition = this.kernel!.step(spec, s, {
      c,
      slot: (name, i) => this.slots[name]![i]!,
      write: (variable, value) => {
        writes.push([variable, value]);
      },
    });
    this.variables.forEach((v, i) => {
      const g = grads[i]!;
      let u: tf.Tensor = gain ? tf.mul(g, gain) : spec.maximize ? tf.neg(g) : g;
      if (l2 && this.decayed[i]) u = tf.add(u, tf.mul(v, l2));
      u = precondition(u, i);
      if (wd && this.decayed[i]) u = tf.add(u, tf.mul(v, wd));
      writes.push([v, tf.add(v, tf.mul(u, negLr))]);
    });
    for (const [variable, value] of writes) variable.assign(value);
  }

  /** Copies the slots (and the last gradient norm) into the host state: a read, for saving. */
  download(): void {
    for (const [name, host] of Object.entries(this.plan.buffers)) {
      this.slots[name]?.forEach((slot, i) => {
        host[i]!.set(slot.dataSync() as Float32Array);
      });
    }
    if (this.plan.clip && this.norm) this.plan.clip.state.totalNorm = this.norm.dataSync()[0]!;
    this.stale = false;
  }

  /**
   * `download` by asynchronous reads (for `getWeights`): webgpu's synchronous read goes through a
   * canvas, and of any GPU-resident tensor it returned zeros and lost the device (Chromium's
   * SwiftShader adapter: "A valid external Instance reference no longer exists" on the next read). Returns the values
   * read (slots by name, the norm), to be committed with `commit` once every read has landed.
   */
  async read(): Promise<{ slots: [string, Float32Array[]][]; norm: number | undefined }> {
    const slots = await Promise.all(
      Object.entries(this.slots).map(
        async ([name, list]) =>
          [name, await Promise.all(list!.map(async (v) => (await v.data()) as Float32Array))] as [
            string,
            Float32Array[],
          ],
      ),
    );
    const norm = this.plan.clip && this.norm ? (await this.norm.data())[0] : undefined;
    return { slots, norm };
  }

  /** Puts what `read` returned into the host state. */
  commit(read: { slots: [string, Float32Array[]][]; norm: number | undefined }): void {
    for (const [name, values] of read.slots) {
      const host = this.plan.buffers[name]!;
      values.forEach((x, i) => {
        host[i]!.set(x);
      });
    }
    if (this.plan.clip && read.norm !== undefined) this.plan.clip.state.totalNorm = read.norm;
    this.stale = false;
  }

  /** Writes the host state (just loaded) into the slots. */
  upload(): void {
    for (const [name, host] of Object.entries(this.plan.buffers)) {
      this.slots[name]?.forEach((slot, i) => {
        tf.tidy(() => slot.assign(tf.tensor(host[i]!, slot.shape, "float32")));
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
