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
import {
  createOptimizer,
  type LoadReport,
  type OptimizerHandle,
  type StateDict,
} from "../create-optimizer.js";
import { checkOptions, showValue } from "../hyper.js";
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
  /** Registers the optimizer under this name (a non-empty string), for `tf.loadLayersModel` (default "momenta"). */
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
function renamed(dict: unknown, names: readonly string[]): unknown {
  if (!isRecord(dict) || !Array.isArray(dict.paths)) return dict;
  const saved = dict.paths as unknown[];
  const same =
    saved.length === names.length &&
    saved.every((p, i) => typeof p === "string" && (p === names[i] || baseName(p) === baseName(names[i]!)));
  return same ? { ...dict, paths: [...names] } : dict;
}

/** A variable's name without the `_1`, `_2`… TF.js-layers appends to names already taken. */
const baseName = (n: string) => n.replace(/_\d+$/, "");

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** A value, as error messages show it. */
function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (x instanceof tf.Tensor) return `a ${x.dtype} tensor of shape [${x.shape.join(", ")}]`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === "object") return "an object";
  if (typeof x === "function") return "a function";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  return `${typeof x} ${String(x)}`;
}

const shapeOf = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** The registered variable of that name (own entries only: not `toString` or `__proto__`). */
function variableNamed(name: string): tf.Variable | undefined {
  const all = tf.engine().registeredVariables;
  return Object.hasOwn(all, name) ? all[name] : undefined;
}

/**
 * The state dict in a saved `…/state` weight (UTF-8 JSON packed four bytes to an int32), or
 * undefined when the weight is empty (an optimizer that had not stepped). Parsed, not checked:
 * `setWeights` checks it against the optimizer. Throws a TypeError when the words are not int32
 * values or do not hold UTF-8 JSON.
 */
export function stateFromWords(words: ArrayLike<number>): StateDict | undefined {
  if (words === null || typeof words !== "object" || typeof words.length !== "number") {
    throw new TypeError(`stateFromWords: expected the state weight's int32 words, got ${describe(words)}`);
  }
  const ints = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (typeof w !== "number" || !Number.isInteger(w) || w < -(2 ** 31) || w >= 2 ** 31) {
      throw new TypeError(
        `stateFromWords: word ${i} is ${describe(w)}; a momenta state weight holds int32 words`,
      );
    }
    ints[i] = w;
  }
  const bytes = new Uint8Array(ints.buffer);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    throw new TypeError("stateFromWords: the words are not UTF-8 text, so not a momenta state dict");
  }
  try {
    return JSON.parse(text) as StateDict;
  } catch {
    const start = JSON.stringify(text.length > 24 ? `${text.slice(0, 24)}…` : text);
    throw new TypeError(
      `stateFromWords: the words are not JSON, so not a momenta state dict (text ${start})`,
    );
  }
}

/** What `setWeights` reads before it changes anything. */
interface SavedWeights {
  iterations: number;
  /** The parsed state dict; undefined for the empty state of an optimizer that had not stepped. */
  dict: unknown;
}

/**
 * Checks a weight list against what `getWeights` writes — `[{ name: "iter", tensor: int32 scalar },
 * { name: "<name>/state", tensor: int32 words }]` — and reads it; throws a TypeError naming the
 * first problem. Changes nothing.
 */
async function readWeights(weightValues: unknown): Promise<SavedWeights> {
  const fail = (msg: string): never => {
    throw new TypeError(`tfjsOptimizer: setWeights: ${msg}`);
  };
  const expected =
    "[{ name: 'iter', tensor }, { name: '<optimizer name>/state', tensor }], as getWeights returns";
  if (!Array.isArray(weightValues)) return fail(`expected ${expected}; got ${describe(weightValues)}`);
  weightValues.forEach((w, i) => {
    if (!isRecord(w) || typeof w.name !== "string" || !(w.tensor instanceof tf.Tensor)) {
      fail(`weight ${i} is ${describe(w)}; expected { name, tensor } with a tensor`);
    }
  });
  const list = weightValues as NamedTensor[];
  const names = list.map((w) => JSON.stringify(w.name)).join(", ");
  if (list.length !== 2 || list[0]!.name !== "iter" || !list[1]!.name.endsWith("/state")) {
    fail(
      `expected ${expected}; got ${list.length} weight${list.length === 1 ? "" : "s"} [${names}] (not a momenta optimizer's weights)`,
    );
  }
  const [iter, state] = list as [NamedTensor, NamedTensor];
  for (const w of list) if (w.tensor.isDisposed) fail(`the tensor of weight '${w.name}' is disposed`);
  if (iter.tensor.size !== 1 || (iter.tensor.dtype !== "int32" && iter.tensor.dtype !== "float32")) {
    fail(`'iter' must be one whole number (an int32 scalar), got ${describe(iter.tensor)}`);
  }
  if (state.tensor.dtype !== "int32" || state.tensor.rank !== 1) {
    fail(`'${state.name}' must be the int32 words of a state dict (rank 1), got ${describe(state.tensor)}`);
  }
  const [iterData, words] = await Promise.all([iter.tensor.data(), state.tensor.data()]);
  const iterations = iterData[0]!;
  if (!Number.isSafeInteger(iterations) || iterations < 0) {
    fail(`'iter' must be a whole number from 0 to 2^53 − 1, got ${iterations}`);
  }
  let dict: unknown;
  try {
    dict = stateFromWords(words);
  } catch (e) {
    fail(`'${state.name}': ${(e as Error).message.replace(/^stateFromWords: /, "")}`);
  }
  return { iterations, dict };
}

/** A `tf.Optimizer` running a momenta transform. */
export class MomentaOptimizer extends tf.Optimizer {
  /** The name TF.js serializes this class under. */
  static get className(): string {
    return "MomentaOptimizer";
  }

  private binding: Binding | undefined;
  /** A state given to setWeights before the first step, checked; loaded when the variables bind. */
  private pending: StateDict | undefined;
  private report: LoadReport | undefined;
  private disposed = false;

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
        `tfjsOptimizer: path must be "auto", "ops" or "arrays", got ${showValue(pathOption)}`,
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
   * hyperparams…). On the ops path its state is brought back from the device on each access (a
   * synchronous read) — not on webgpu, whose synchronous reads are not reliable: there it throws
   * when steps ran since the last read; use `momentaAsync()`.
   */
  get momenta(): OptimizerHandle<unknown> | undefined {
    if (this.binding) this.syncHost(this.binding);
    return this.binding?.handle;
  }

  /** `momenta`, its state brought back from the device by asynchronous reads (any backend). */
  async momentaAsync(): Promise<OptimizerHandle<unknown> | undefined> {
    if (this.binding) await this.syncHostAsync(this.binding);
    return this.binding?.handle;
  }

  /** The path the steps run on, once the first gradients have bound the variables. */
  get path(): "ops" | "arrays" | undefined {
    return this.binding && (this.binding.ops ? "ops" : "arrays");
  }

  /**
   * On the ops path, what ran the last step: "webgpu" or "webgl", the kind's own GPU programs (a
   * dispatch per state buffer and one per variable, on TF.js's webgpu or webgl backend), or "ops",
   * TF.js's ops.
   */
  get opsKernel(): "webgpu" | "webgl" | "ops" | undefined {
    return this.binding?.ops?.lastKernel;
  }

  /**
   * What the last `setWeights` found when it checked the saved state: the hyperparameters it was
   * saved with that differ from this optimizer's (which are kept, as `loadStateDict` does; build the
   * transform with the saved values to continue exactly as before). Undefined before any
   * `setWeights`, and after one that restored the empty state of an optimizer that had not stepped.
   */
  get loadReport(): LoadReport | undefined {
    return this.report;
  }

  /** Throws once `dispose()` has run: a disposed optimizer has freed its state and slots. */
  private assertLive(what: string): void {
    if (this.disposed) {
      throw new Error(
        `tfjsOptimizer: ${what} on a disposed optimizer (its state is freed); create a new one with tfjsOptimizer(tx), and setWeights to resume`,
      );
    }
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
    // TF.js's webgpu dataSync reads through a canvas; on Chromium's SwiftShader adapter it returned
    // zeros and lost the device (every later read failed): refuse, before reading anything
    if (tf.getBackend() === "webgpu") {
      throw new Error(
        "tfjsOptimizer: the state of the last steps is on the GPU, and TF.js's webgpu backend cannot be read synchronously here (its dataSync is unreliable); use `await optimizer.momentaAsync()` (or `await optimizer.getWeights()`, after which `momenta` is current until the next step)",
      );
    }
    b.ops.download();
    b.variables.forEach((v, i) => {
      b.params[b.names[i]!]!.data.set(v.dataSync() as Float32Array);
    });
    b.handle.loadStateDict({ ...b.handle.stateDict(), step: b.steps });
  }

  /**
   * `syncHost` by asynchronous reads (see OpsPath.read), all started at once; read again if a step
   * ran while they were pending.
   */
  private async syncHostAsync(b: Binding): Promise<void> {
    while (b.ops && (b.ops.stale || b.handle.stepCount !== b.steps)) {
      const steps = b.steps;
      const [state, values] = await Promise.all([
        b.ops.read(),
        Promise.all(b.variables.map(async (v) => (await v.data()) as Float32Array)),
      ]);
      if (b.steps !== steps) continue;
      b.ops.commit(state);
      values.forEach((x, i) => {
        b.params[b.names[i]!]!.data.set(x);
      });
      b.handle.loadStateDict({ ...b.handle.stateDict(), step: b.steps });
    }
  }

  /**
   * A binding to these variables (names sorted), with the pending state loaded. Changes nothing
   * here: the caller keeps it once a step has succeeded. Throws when the pending state does not fit.
   */
  private bind(names: string[], variables: tf.Variable[]): Binding {
    const path = this.choosePath();
    const fresh: Record<string, ShapedLeaf> = {};
    names.forEach((n, i) => {
      // On the arrays path, the variables' values, not zeros: transforms that keep the params they
      // start from (lookahead's slow weights, prodigy's x₀) read them in init. The ops path runs only
      // the fused kinds, which read none, and must not read the GPU back.
      const v = variables[i]!;
      const data = path === "ops" ? new Float32Array(v.size) : Float32Array.from(valuesOf(v));
      fresh[n] = { data, shape: [...v.shape] };
    });
    // Packed into one arena, the known optimizers run on momenta's WASM SIMD kernels. On the ops path
    // the handle only keeps the state's layout, so no arena and no kernel.
    const params = path === "ops" ? fresh : (packTree(fresh) as Record<string, ShapedLeaf>);
    const handle = createOptimizer(this.tx, params, path === "ops" ? { kernel: "reference" } : {});
    if (this.pending) {
      try {
        handle.loadStateDict(renamed(this.pending, names));
      } catch (e) {
        const saved = this.pending.paths;
        throw new Error(
          `tfjsOptimizer: the state given to setWeights was saved for [${saved.join(", ")}], but these gradients are for [${names.join(", ")}] (${(e as Error).message}); nothing was changed. Pass gradients for the saved variables, or setWeights again.`,
          { cause: e },
        );
      }
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

  /**
   * The gradients by name, sorted, each checked: a live float32 tensor, of its variable's shape, for
   * the variables this optimizer trains (a trainable float32 variable each, when the first gradients
   * bind them). Throws a TypeError naming the first problem; changes nothing.
   */
  private readGradients(variableGradients: unknown): {
    named: [string, tf.Tensor][];
    variables: tf.Variable[];
  } {
    const fail = (msg: string): never => {
      throw new TypeError(`tfjsOptimizer: applyGradients: ${msg}`);
    };
    let entries: [unknown, unknown][];
    if (Array.isArray(variableGradients)) {
      entries = variableGradients.map((e, i) =>
        isRecord(e) ? [e.name, e.tensor] : fail(`entry ${i} is ${describe(e)}; expected { name, tensor }`),
      );
    } else if (isRecord(variableGradients) && !(variableGradients instanceof tf.Tensor)) {
      entries = Object.entries(variableGradients);
    } else {
      return fail(
        `expected the gradients by variable name ({ [name]: tensor } or [{ name, tensor }]), got ${describe(variableGradients)}`,
      );
    }
    if (entries.length === 0) fail("no gradients (an empty map): nothing to train");
    const seen = new Set<string>();
    for (const [n, g] of entries) {
      if (typeof n !== "string") return fail(`a gradient's name is ${describe(n)}; expected a variable name`);
      if (seen.has(n)) fail(`two gradients for '${n}'`);
      seen.add(n);
      if (g == null)
        fail(`no gradient for '${n}' (every variable this optimizer trains needs one each step)`);
      if (!(g instanceof tf.Tensor)) fail(`the gradient for '${n}' is ${describe(g)}, not a tensor`);
      const t = g as tf.Tensor;
      if (t.isDisposed) fail(`the gradient for '${n}' is disposed`);
      if (t.dtype !== "float32") fail(`the gradient for '${n}' is ${t.dtype}; expected float32`);
    }
    const named = (entries as [string, tf.Tensor][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const names = named.map(([n]) => n);
    const b = this.binding;
    let variables: tf.Variable[];
    if (b) {
      if (names.join("\n") !== b.names.join("\n")) {
        const missing = b.names.filter((n) => !seen.has(n));
        const extra = names.filter((n) => !b.names.includes(n));
        fail(
          `gradients are for [${names.join(", ")}] but this optimizer trains [${b.names.join(", ")}]${missing.length ? ` (missing: ${missing.join(", ")})` : ""}${extra.length ? ` (not trained here: ${extra.join(", ")})` : ""}`,
        );
      }
      b.variables.forEach((v, i) => {
        if (v.isDisposed || variableNamed(v.name) !== v) {
          fail(
            `the variable '${b.names[i]}' this optimizer trains was disposed (its model disposed?); train the new variables with a new optimizer (setWeights carries the state)`,
          );
        }
      });
      variables = b.variables;
    } else {
      variables = names.map((n) => {
        const v = variableNamed(n);
        if (!v) return fail(`no variable named '${n}'`);
        if (!v.trainable) fail(`variable '${n}' is not trainable`);
        if (v.dtype !== "float32") fail(`variable '${n}' is ${v.dtype}; only float32 variables train`);
        return v;
      });
    }
    named.forEach(([n, g], i) => {
      if (!tf.util.arraysEqual(g.shape, variables[i]!.shape)) {
        fail(
          `the gradient for '${n}' has shape ${shapeOf(g.shape)}, the variable ${shapeOf(variables[i]!.shape)}`,
        );
      }
    });
    return { named, variables };
  }

  /**
   * `tf.Optimizer.minimize`, with the gradients and the cost freed when the step is refused (the
   * base class leaks them then).
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    this.assertLive("minimize");
    const { value, grads } = this.computeGradients(f, varList);
    try {
      this.applyGradients(varList ? varList.map((v) => ({ name: v.name, tensor: grads[v.name]! })) : grads);
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * One update of the variables from their gradients. All or nothing: the gradients are checked
   * first, and when anything throws (a bad gradient, a schedule's NaN, strict clipping of a
   * non-finite norm) the variables, the momenta state and `iterations` stay as they were.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.assertLive("applyGradients");
    const { named, variables } = this.readGradients(variableGradients);
    const bound = this.binding;
    const b =
      bound ??
      this.bind(
        named.map(([n]) => n),
        variables,
      );
    try {
      this.step(b, named);
    } catch (e) {
      if (!bound) b.ops?.dispose(); // a first step that failed leaves the optimizer unbound, as before
      throw e;
    }
    if (!bound) {
      this.binding = b;
      this.pending = undefined;
    }
    b.steps += 1;
    this.incrementIterations();
  }

  private step(b: Binding, named: [string, tf.Tensor][]): void {
    if (b.ops) {
      b.ops.step(named.map(([, g]) => g)); // the names are b.names, in order
      return;
    }
    const grads = b.handle.grads as Record<string, ShapedLeaf>;
    for (const [n, g] of named) grads[n]!.data.set(valuesOf(g));
    b.variables.forEach((v, i) => {
      if (b.written[i] !== v.dataId) b.params[b.names[i]!]!.data.set(valuesOf(v));
    });
    try {
      b.handle.step(b.handle.grads); // all or nothing in momenta, but a kernel's fault may leave params part-way
    } catch (e) {
      b.written.fill(undefined); // so the next step reads the variables (unchanged) again
      throw e;
    }
    b.variables.forEach((v, i) => {
      const values = b.params[b.names[i]!]!.data;
      const backing = backingArray(v);
      if (backing) backing.set(values);
      else {
        // The cpu backend keeps the array a tensor is made from: a copy, or the variable (and any
        // clone of it) would alias momenta's params, changed in place by every later step.
        const own = tf.getBackend() === "wasm" ? values : values.slice();
        tf.tidy(() => v.assign(tf.tensor(own, v.shape, "float32")));
      }
      b.written[i] = v.dataId;
    });
  }

  /** The tensors the last getWeights handed out: owned here, like tf.train's own state variables. */
  private handedOut: tf.Tensor[] = [];

  /**
   * The iteration count, then the whole momenta state dict (version 2) as exact JSON, its UTF-8
   * bytes packed four to an int32. The tensors belong to the optimizer (as tf.train optimizers'
   * variables do): the next call or `dispose()` frees them, so saving repeatedly does not leak.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.assertLive("getWeights");
    if (this.binding) await this.syncHostAsync(this.binding);
    const dict = this.binding?.handle.stateDict() ?? this.pending;
    const bytes = new TextEncoder().encode(dict ? JSON.stringify(dict) : "");
    const packed = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    packed.set(bytes); // JSON has no NUL bytes, so the zero padding is unambiguous
    const iterations = await this.saveIterations();
    tf.dispose(this.handedOut);
    const state = tf.tensor1d(new Int32Array(packed.buffer), "int32");
    this.handedOut = [iterations.tensor, state];
    return [iterations, { name: `${this.name}/state`, tensor: state }];
  }

  /**
   * Restores what `getWeights` saved (by this adapter, or by one writing version-1 state dicts): the
   * iteration count and the momenta state dict, checked in full before anything changes — against
   * the bound variables, or before the first step against the variables it was saved for, which
   * must exist (create the model first). On any problem it throws an error naming it, and the
   * optimizer (state, `iterations`) is as it was. The empty state of an optimizer that had not
   * stepped restores that: the next step starts afresh. `loadReport` tells which saved
   * hyperparameters differ from this optimizer's.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.assertLive("setWeights");
    const saved = await readWeights(weightValues);
    this.assertLive("setWeights"); // disposed while the weights were read
    const b = this.binding;
    let report: LoadReport | undefined;
    let pending: StateDict | undefined;
    if (saved.dict !== undefined) {
      if (b) report = loadChecked(() => b.handle.loadStateDict(renamed(saved.dict, b.names)));
      else ({ dict: pending, report } = this.probe(saved.dict));
    }
    // Checked: from here on nothing throws.
    if (b && saved.dict !== undefined) {
      b.steps = b.handle.stepCount;
      b.ops?.upload();
    } else if (b) {
      b.ops?.dispose(); // the state of an optimizer that had not stepped: the next step binds afresh
      this.binding = undefined;
    }
    this.pending = pending;
    this.report = report;
    this.iterations_ = saved.iterations;
  }

  /**
   * Checks a state dict given before the first step against the variables it was saved for (by
   * name, up to TF.js-layers' `_1` suffixes), loading it into a throwaway handle; returns it as
   * this momenta writes it (version 2) and what the load reported.
   */
  private probe(dict: unknown): { dict: StateDict; report: LoadReport } {
    const fail = (msg: string): never => {
      throw new TypeError(`tfjsOptimizer: setWeights: ${msg}`);
    };
    if (!isRecord(dict) || dict.format !== "momenta.optimizer") {
      fail(`the state weight holds ${describe(dict)}, not a momenta optimizer state dict`);
    }
    const d = dict as Record<string, unknown>;
    const paths = d.paths;
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === "string")) {
      return fail(
        `the state dict's paths must be the names of the variables it was saved for, got ${describe(paths)}`,
      );
    }
    const names = paths as string[];
    const sorted = names.every((p, i) => i === 0 || names[i - 1]! < p);
    if (!sorted)
      fail("the state dict's paths are not in the order this adapter saves them (sorted by name, each once)");
    const params: Record<string, ShapedLeaf> = {};
    for (const p of names) {
      const all = tf.engine().registeredVariables;
      const v =
        variableNamed(p) ??
        Object.keys(all)
          .filter((n) => baseName(n) === baseName(p))
          .map((n) => all[n]!)[0];
      if (!v) {
        return fail(
          `the state was saved for variable '${p}', and no variable of that name exists; create the model's variables before setWeights`,
        );
      }
      if (v.dtype !== "float32") fail(`the state was saved for variable '${p}', which is ${v.dtype} here`);
      params[p] = { data: new Float32Array(v.size), shape: [...v.shape] };
    }
    let probe: OptimizerHandle<unknown>;
    try {
      probe = createOptimizer(this.tx, params, { kernel: "reference" });
    } catch (e) {
      return fail(`the variables the state was saved for do not fit this optimizer: ${(e as Error).message}`);
    }
    const report = loadChecked(() => probe.loadStateDict(dict));
    return { dict: probe.stateDict(), report };
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

  /**
   * Frees the optimizer's tensors (slots, the weights getWeights handed out). The optimizer is then
   * spent: applyGradients, getWeights and setWeights throw, as a disposed tensor does.
   */
  override dispose(): void {
    tf.dispose(this.handedOut);
    this.handedOut = [];
    this.binding?.ops?.dispose();
    this.binding = undefined;
    this.pending = undefined;
    this.report = undefined;
    this.disposed = true;
    super.dispose();
  }
}

/** Runs a loadStateDict, its error (already naming the problem) prefixed with where it came from. */
function loadChecked(load: () => LoadReport): LoadReport {
  try {
    return load();
  } catch (e) {
    throw new TypeError(`tfjsOptimizer: setWeights: ${(e as Error).message}`, { cause: e });
  }
}

tf.serialization.registerClass(MomentaOptimizer);

/**
 * Wraps a momenta transform as a TF.js optimizer. `name` registers it so that a model saved with
 * `includeOptimizer: true` can be loaded back (`tf.loadLayersModel`) with its optimizer state;
 * `path` picks how steps run (see TfjsPath; the saved state is the same either way).
 */
export function tfjsOptimizer(tx: AnyTransformation, options: TfjsOptimizerOptions = {}): MomentaOptimizer {
  checkOptions("tfjsOptimizer", options, ["name", "path"]);
  const name = options.name ?? "momenta";
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`tfjsOptimizer: name must be a non-empty string, got ${showValue(name)}`);
  }
  const path = options.path ?? "auto";
  const opt = new MomentaOptimizer(tx, name, path); // validates before registering
  registry.set(name, { tx, path });
  return opt;
}
