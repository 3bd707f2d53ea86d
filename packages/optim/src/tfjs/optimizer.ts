/**
 * momenta transforms as TensorFlow.js optimizers (`momenta/tfjs`; `@tensorflow/tfjs-core` 4.x is an
 * optional peer dependency the core never imports).
 *
 * Leaves are the variables, keyed by their names (`dense_Dense1/kernel`), so masks and partitions
 * select by name. Each step reads the gradients and the variables' values into momenta's buffers,
 * runs the optimizer (its fused kernels when the chain is one they know), and writes the new values
 * back: straight into the backend's own array on the cpu backend (no tensor is created), with
 * `assign` of a new tensor elsewhere (see backingArray for why not in the wasm heap). Step count, schedules and clipping therefore behave exactly as in the core.
 *
 * That is the arrays path. On backends whose memory JS cannot reach (webgl, webgpu) reading every
 * variable each step would stall the GPU, so a fusible chain runs on the ops path instead (./ops.ts):
 * the same update as TF.js ops, moments in slot variables, the same state dict.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createOptimizer, type OptimizerHandle, type StateDict } from "../create-optimizer.js";
import { packTree } from "../kernels/arena.js";
import type { AnyTransformation } from "../transform.js";
import type { ShapedLeaf } from "../tree.js";
import { OpsPath, opsUnfusible } from "./ops.js";

/** What TF.js passes to applyGradients / getWeights (not exported by tfjs-core's index). */
type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * How a step runs. "arrays": momenta updates the variables' values in JS/WASM (in place on cpu and
 * wasm, a read and an `assign` elsewhere). "ops": TF.js ops on the variables, nothing read back (only
 * for chains momenta fuses). "auto": ops on backends other than cpu and wasm when the chain allows it.
 */
export type TfjsPath = "auto" | "ops" | "arrays";

/** Options of `tfjsOptimizer`. */
export interface TfjsOptimizerOptions {
  /** Registers the optimizer under this name, for `tf.loadLayersModel` (default "momenta"). */
  name?: string;
  /** How steps run: "auto", "ops" or "arrays" (see `TfjsPath`). Default "auto". */
  path?: TfjsPath;
}

const registry = new Map<string, { tx: AnyTransformation; path: TfjsPath }>();

interface Binding {
  names: string[];
  variables: tf.Variable[];
  params: Record<string, ShapedLeaf>;
  /** The state's keeper: on the ops path it never steps; its state and count are synced on demand. */
  handle: OptimizerHandle<unknown>;
  /** Each variable's data as this optimizer last wrote it: unchanged since, it need not be read back. */
  written: (object | undefined)[];
  ops: OpsPath | undefined;
  /** Updates applied (the handle counts only the arrays path's). */
  steps: number;
}

/** A tensor's float32 values without a copy where the backend allows (cpu array, wasm heap view). */
function valuesOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as {
    dataIdMap?: { get(id: object): { memoryOffset: number } | undefined };
    wasm?: { HEAPU8: Uint8Array };
  };
  if (tf.getBackend() === "wasm" && backend.dataIdMap && backend.wasm && t.dtype === "float32") {
    const info = backend.dataIdMap.get(t.dataId);
    if (info) return new Float32Array(backend.wasm.HEAPU8.buffer, info.memoryOffset, t.size);
  }
  return t.dataSync() as Float32Array; // the cpu backend returns its own array here
}

/**
 * The cpu backend's own array behind a float32 variable that owns its data alone, so it can be updated
 * in place. Not the wasm backend: it caches packed weights per tensor id (XNNPACK), so a variable
 * changed in place keeps being multiplied with its old values — there the new values get a new tensor.
 */
function backingArray(v: tf.Variable): Float32Array | undefined {
  if (v.dtype !== "float32" || tf.getBackend() !== "cpu") return undefined;
  const backend = tf.backend() as unknown as {
    refCount?(id: object): number;
    data?: { get(id: object): { values?: unknown } | undefined };
  };
  if ((backend.refCount?.(v.dataId) ?? 1) > 1) return undefined; // shared with a tensor someone holds
  const values = backend.data?.get(v.dataId)?.values;
  return values instanceof Float32Array && values.length === v.size ? values : undefined;
}

/**
 * TF.js-layers gives the variables of a model loaded twice in one process unique names
 * (`dense_Dense1/kernel_1`): a saved state matches when the names agree up to such a suffix.
 */
function renamed(dict: StateDict, names: readonly string[]): StateDict {
  const base = (n: string) => n.replace(/_\d+$/, "");
  const saved = Array.isArray(dict?.paths) ? dict.paths : [];
  const same =
    saved.length === names.length && saved.every((p, i) => p === names[i] || base(p) === base(names[i]!));
  return same ? { ...dict, paths: [...names] } : dict;
}

/** The state dict in a saved `…/state` weight (UTF-8 JSON packed four bytes to an int32), if any. */
export function stateFromWords(words: ArrayLike<number>): StateDict | undefined {
  const bytes = new Uint8Array(Int32Array.from(words).buffer);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end === 0 ? undefined : (JSON.parse(new TextDecoder().decode(bytes.subarray(0, end))) as StateDict);
}

/** A `tf.Optimizer` running a momenta transform. */
export class MomentaOptimizer extends tf.Optimizer {
  /** The name TF.js serializes this class under. */
  static get className(): string {
    return "MomentaOptimizer";
  }

  private binding: Binding | undefined;
  private pending: StateDict | undefined;

  /** Use `tfjsOptimizer`, which also registers the transform for loading; this checks the arguments. */
  constructor(
    /** The momenta transform the steps run. */
    readonly tx: AnyTransformation,
    /** The name it is registered and saved under. */
    readonly name = "momenta",
    /** The path asked for; `path` tells the one chosen. */
    readonly pathOption: TfjsPath = "auto",
  ) {
    super();
    if (!tx || typeof tx.init !== "function" || typeof tx.update !== "function") {
      throw new TypeError("tfjsOptimizer: expected a momenta gradient transformation");
    }
    if (!["auto", "ops", "arrays"].includes(pathOption)) {
      throw new RangeError(
        `tfjsOptimizer: path must be "auto", "ops" or "arrays", got ${JSON.stringify(pathOption)}`,
      );
    }
    const why = pathOption === "ops" ? opsUnfusible(tx) : undefined;
    if (why) {
      throw new TypeError(
        `tfjsOptimizer: path "ops" cannot run this chain: ${why}. Use path "auto" or "arrays" (momenta's JS/WASM update, any chain).`,
      );
    }
  }

  /**
   * The momenta optimizer handle once the first gradients have bound the variables (for its state,
   * hyperparams…). On the ops path its state is brought back from the device on each access (a read).
   */
  get momenta(): OptimizerHandle<unknown> | undefined {
    if (this.binding) this.syncHost(this.binding);
    return this.binding?.handle;
  }

  /** The path the steps run on, once the first gradients have bound the variables. */
  get path(): "ops" | "arrays" | undefined {
    return this.binding && (this.binding.ops ? "ops" : "arrays");
  }

  private choosePath(): "ops" | "arrays" {
    if (this.pathOption !== "auto") return this.pathOption;
    const backend = tf.getBackend();
    // cpu and wasm expose the variables' memory: the arrays path updates it in place, faster than ops
    if (backend === "cpu" || backend === "wasm") return "arrays";
    return opsUnfusible(this.tx) ? "arrays" : "ops";
  }

  /** Ops path: brings slots, variables and the step count into the handle, so it saves what ran. */
  private syncHost(b: Binding): void {
    if (!b.ops || (!b.ops.stale && b.handle.stepCount === b.steps)) return;
    b.ops.download();
    b.variables.forEach((v, i) => {
      b.params[b.names[i]!]!.data.set(v.dataSync() as Float32Array);
    });
    b.handle.loadStateDict({ ...b.handle.stateDict(), step: b.steps });
  }

  private bind(names: string[]): Binding {
    const variables = names.map((n) => {
      const v = tf.engine().registeredVariables[n];
      if (!v) throw new Error(`tfjsOptimizer: no variable named '${n}'`);
      if (v.dtype !== "float32")
        throw new TypeError(`tfjsOptimizer: variable '${n}' is ${v.dtype}; only float32 trains`);
      return v;
    });
    const fresh: Record<string, ShapedLeaf> = {};
    names.forEach((n, i) => {
      fresh[n] = { data: new Float32Array(variables[i]!.size), shape: [...variables[i]!.shape] };
    });
    const path = this.choosePath();
    // Packed into one arena, the known optimizers run on momenta's WASM SIMD kernels. On the ops path
    // the handle only keeps the state's layout, so no arena and no kernel.
    const params = path === "ops" ? fresh : (packTree(fresh) as Record<string, ShapedLeaf>);
    const handle = createOptimizer(this.tx, params, path === "ops" ? { kernel: "reference" } : {});
    if (this.pending) {
      handle.loadStateDict(renamed(this.pending, handle.stateDict().paths));
      this.pending = undefined;
    }
    // The slots start from the handle's state: zeros, or the state loaded just above.
    const ops = path === "ops" ? new OpsPath(this.tx, handle.state, params, variables) : undefined;
    return {
      names,
      variables,
      params,
      handle,
      written: names.map(() => undefined),
      ops,
      steps: handle.stepCount,
    };
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named: [string, tf.Tensor | null][] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    const names = named.map(([n]) => n).sort();
    for (const [n, g] of named) {
      if (g == null)
        throw new TypeError(
          `tfjsOptimizer: no gradient for '${n}' (every bound variable needs one each step)`,
        );
    }
    if (!this.binding) this.binding = this.bind(names);
    const b = this.binding;
    if (names.join("\n") !== b.names.join("\n")) {
      throw new TypeError(
        `tfjsOptimizer: gradients are for [${names.join(", ")}] but this optimizer trains [${b.names.join(", ")}]`,
      );
    }
    const grads = b.handle.grads as Record<string, ShapedLeaf>;
    for (const [n, g] of named) {
      const size = grads[n]!.data.length;
      if (g!.size !== size)
        throw new TypeError(`tfjsOptimizer: gradient for '${n}' has ${g!.size} values, the variable ${size}`);
    }
    if (b.ops) {
      const byName = new Map(named);
      b.ops.step(b.names.map((n) => byName.get(n)!));
      b.steps += 1;
      this.incrementIterations();
      return;
    }
    for (const [n, g] of named) grads[n]!.data.set(valuesOf(g!));
    b.variables.forEach((v, i) => {
      if (b.written[i] !== v.dataId) b.params[b.names[i]!]!.data.set(valuesOf(v));
    });
    b.handle.step(b.handle.grads);
    b.steps += 1;
    b.variables.forEach((v, i) => {
      const values = b.params[b.names[i]!]!.data;
      const backing = backingArray(v);
      if (backing) backing.set(values);
      else tf.tidy(() => v.assign(tf.tensor(values, v.shape, "float32")));
      b.written[i] = v.dataId;
    });
    this.incrementIterations();
  }

  /** The tensors the last getWeights handed out: owned here, like tf.train's own state variables. */
  private handedOut: tf.Tensor[] = [];

  /**
   * The iteration count, then the whole momenta state dict as exact JSON, its UTF-8 bytes packed four
   * to an int32. The tensors belong to the optimizer (as tf.train optimizers' variables do): the next
   * call or `dispose()` frees them, so saving repeatedly does not leak.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    tf.dispose(this.handedOut);
    if (this.binding) this.syncHost(this.binding);
    const dict = this.binding?.handle.stateDict() ?? this.pending;
    const bytes = new TextEncoder().encode(dict ? JSON.stringify(dict) : "");
    const packed = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    packed.set(bytes); // JSON has no NUL bytes, so the zero padding is unambiguous
    const iterations = await this.saveIterations();
    const state = tf.tensor1d(new Int32Array(packed.buffer), "int32");
    this.handedOut = [iterations.tensor, state];
    return [iterations, { name: `${this.name}/state`, tensor: state }];
  }

  /**
   * Restores what `getWeights` saved: the iteration count and the momenta state dict, applied (and
   * checked) when the first gradients bind the variables, or at once if they already have.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const state = rest.find((w) => w.name.endsWith("/state"));
    if (!state) throw new TypeError("tfjsOptimizer: the weights hold no momenta state");
    const dict = stateFromWords(await state.tensor.data());
    if (!dict) return;
    const b = this.binding;
    if (b) {
      b.handle.loadStateDict(renamed(dict, b.names));
      b.steps = b.handle.stepCount;
      b.ops?.upload();
    } else this.pending = dict; // applied, and checked, when the first gradients bind the variables
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { name: this.name };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const name = String(config.name);
    const entry = registry.get(name);
    if (!entry) {
      throw new Error(
        `tfjsOptimizer: no transform registered as '${name}'; create it with tfjsOptimizer(tx, { name: '${name}' }) before loading`,
      );
    }
    return new (cls as unknown as typeof MomentaOptimizer)(entry.tx, name, entry.path) as unknown as T;
  }

  override dispose(): void {
    tf.dispose(this.handedOut);
    this.handedOut = [];
    this.binding?.ops?.dispose();
    this.binding = undefined;
    this.pending = undefined;
    super.dispose();
  }
}

tf.serialization.registerClass(MomentaOptimizer);

/**
 * Wraps a momenta transform as a TF.js optimizer. `name` registers it so that a model saved with
 * `includeOptimizer: true` can be loaded back (`tf.loadLayersModel`) with its optimizer state;
 * `path` picks how steps run (see TfjsPath; the saved state is the same either way).
 */
export function tfjsOptimizer(tx: AnyTransformation, options: TfjsOptimizerOptions = {}): MomentaOptimizer {
  const name = options.name ?? "momenta";
  const path = options.path ?? "auto";
  const opt = new MomentaOptimizer(tx, name, path); // validates before registering
  registry.set(name, { tx, path });
  return opt;
}
