import { type Fused, fuse, type KernelName } from "./kernels/fused.js";
import { layoutOf, mirror } from "./kernels/layout.js";
import type { ThreadPool } from "./kernels/wasm-kernels.js";
import { restore, type Snapshot, snapshot } from "./snapshot.js";
import { copyStateInto, decodeStateLike, type Encoded, encodeState } from "./state-dict.js";
import {
  type AnyTransformation,
  applyUpdates,
  type GradientTransformation,
  type Hyperparams,
} from "./transform.js";
import { assertSameStructure, flatten, leavesOf, mapTree, type Tree } from "./tree.js";

/** Options of `createOptimizer`. */
export interface CreateOptimizerOptions {
  /**
   * "auto" (default): a fused kernel when the chain is one it knows — WASM SIMD for float32 params
   * packed by `packTree`, else JS — and the reference chain otherwise. "reference", "js" and "wasm"
   * force one (throwing, with the reason, when it cannot run this chain on these params).
   */
  kernel?: "auto" | KernelName;
  /** Worker threads for the WASM kernels (e.g. `await nodeThreadPool(2)` from `momenta-optim/node`). Default: none. */
  pool?: ThreadPool;
}

/** What `stateDict()` returns: plain data, `JSON.stringify`-safe and exact. */
export interface StateDict {
  /** Marks a momenta optimizer state dict. */
  format: "momenta.optimizer";
  /** The format's version. */
  version: 1;
  /** Updates applied so far. */
  step: number;
  /** The params' leaf paths, to catch a state saved for another model. */
  paths: string[];
  /** The transform's state, encoded (exact float arrays as base64). */
  state: Encoded;
}

/** The object most users hold: params, a transform, its state, and a step counter. */
export interface OptimizerHandle<S> {
  /** The params, updated in place by `step`. */
  readonly params: Tree;
  /** The transform's state, updated in place by `step`. */
  readonly state: S;
  /** Updates applied so far. */
  readonly stepCount: number;
  /** The kernel running the updates. */
  readonly kernel: KernelName;
  /**
   * The optimizer's own gradient buffer, shaped like the params: write gradients into it and call
   * `step(opt.grads)` to skip the copy (with packed params it sits next to them in the arena).
   */
  readonly grads: Tree;
  /**
   * Live hyperparameters when the transform has them (`injectHyperparams`), else undefined: read the
   * values the next update will use; assign to change one mid-run (`opt.hyperparams.lr = 1e-4`).
   */
  readonly hyperparams: Hyperparams | undefined;
  /** One update from these gradients; the gradients are read, never written. */
  step(grads: Tree): void;
  /** A snapshot of the step count and state: plain data, `JSON.stringify`-safe and exact. */
  stateDict(): StateDict;
  /** Restores a state dict; on any problem throws and leaves the optimizer unchanged. */
  loadStateDict(dict: unknown): void;
}

/**
 * Binds a transform to params (updated in place by `step`).
 *
 * `step(grads)` checks the gradients against the params (structure, dtype, length) before anything
 * changes, copies them into buffers it owns (so the transform may work in place without touching the
 * caller's arrays), runs the transform and adds the result to the params. Non-finite gradients are
 * not screened: like PyTorch, they propagate into the params and state (wrap the transform in
 * `skipNonFinite` to guard against them).
 */
export function createOptimizer<S>(
  tx: GradientTransformation<S>,
  params: Tree,
  options: CreateOptimizerOptions = {},
): OptimizerHandle<S> {
  const choice = options.kernel ?? "auto";
  if (!["auto", "reference", "js", "wasm"].includes(choice)) {
    throw new RangeError(
      `createOptimizer: kernel must be "auto", "reference", "js" or "wasm", got ${JSON.stringify(choice)}`,
    );
  }
  const paths = flatten(params).paths;
  const paramLeaves = leavesOf(params);
  const state = tx.init(params);
  // The gradient buffer mirrors the params' layout: next to them in their arena when packed.
  const layout = layoutOf(paramLeaves);
  const work = mirror(layout, layout.arena);
  let w = 0;
  // Frozen (its arrays stay writable), so `step(opt.grads)` can trust its structure without a walk.
  const workTree = deepFreeze(mapTree(params, () => work.leaves[w++]!));
  let fused: Fused | undefined;
  if (choice !== "reference" && paramLeaves.length > 0) {
    const f = fuse(
      tx as AnyTransformation,
      state,
      params,
      paramLeaves,
      { flat: layout.arena ? work.flat : undefined, leaves: work.leaves },
      layout,
      choice,
      options.pool,
    );
    if (typeof f === "string") {
      if (choice !== "auto")
        throw new TypeError(`createOptimizer: the ${choice} kernel cannot run this: ${f}`);
    } else fused = f;
  } else if (options.pool) {
    throw new TypeError("createOptimizer: a thread pool needs the wasm kernel");
  }
  const workLeaves = work.leaves;
  let count = 0;
  let undo: Snapshot | undefined;
  let failure: Error | undefined;
  const hyperparams = tx.hyperparams?.(state);
  return {
    params,
    state,
    hyperparams,
    kernel: fused?.kernel ?? "reference",
    grads: workTree,
    get stepCount() {
      return count;
    },
    step(grads) {
      if (failure) throw failure;
      // The optimizer's own buffer, untouched in structure, needs neither checks nor a copy.
      const own = grads === workTree;
      if (!own) {
        assertSameStructure(params, grads, { what: "gradients", dtype: true });
        const gs = leavesOf(grads);
        for (let i = 0; i < gs.length; i++) if (gs[i] !== workLeaves[i]) workLeaves[i]!.set(gs[i]!);
      }
      if (fused) {
        fused.prepare(); // may throw: nothing has been written yet
        try {
          fused.run();
        } catch (e) {
          failure = new Error(
            `createOptimizer: a step failed inside the ${fused.kernel} kernel and left the state part-way; load a state dict (loadStateDict) to continue. Cause: ${(e as Error)?.message ?? String(e)}`,
            { cause: e },
          );
          throw failure;
        }
      } else {
        // All or nothing: whatever throws (a schedule, a callback, a wrapper's check), the state —
        // and the gradient buffer, which the chain works in, when the caller stepped from it — is
        // put back as it was; params are written only after the whole chain has succeeded.
        undo = snapshot(own ? [state, workLeaves] : [state], undo);
        try {
          applyUpdates(params, tx.update(workTree, state, params));
        } catch (e) {
          restore(undo);
          throw e;
        }
      }
      count += 1;
    },
    stateDict() {
      return {
        format: "momenta.optimizer",
        version: 1,
        step: count,
        paths: [...paths],
        state: encodeState(state),
      };
    },
    loadStateDict(dict) {
      const d = dict as Partial<StateDict> | null;
      const fail = (msg: string): never => {
        throw new TypeError(`loadStateDict: ${msg}`);
      };
      if (d === null || typeof d !== "object") return fail("expected a state dict object");
      if (d.format !== "momenta.optimizer")
        fail(`not a momenta optimizer state dict (format ${JSON.stringify(d.format)})`);
      if (d.version !== 1)
        fail(`unsupported version ${JSON.stringify(d.version)} (this momenta reads version 1)`);
      const step = d.step;
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
        return fail(`step must be a non-negative integer, got ${JSON.stringify(step)}`);
      }
      if (!Array.isArray(d.paths) || d.paths.join("\n") !== paths.join("\n")) {
        const got = Array.isArray(d.paths) ? d.paths : [];
        const i = paths.findIndex((p, k) => got[k] !== p);
        const at = i < 0 ? paths.length : i;
        fail(
          `saved for different params: leaf ${at} is ${JSON.stringify(got[at])} in the state dict but ${JSON.stringify(paths[at])} here`,
        );
      }
      let decoded: unknown;
      try {
        decoded = decodeStateLike(state, d.state);
      } catch (e) {
        return fail((e as Error).message);
      }
      copyStateInto(state, decoded);
      count = step;
      failure = undefined;
    },
  };
}

/** Freezes a tree's objects and arrays (not its typed arrays, whose elements stay writable). */
function deepFreeze<T>(node: T): T {
  if (node !== null && typeof node === "object" && !ArrayBuffer.isView(node)) {
    for (const v of Object.values(node)) deepFreeze(v);
    Object.freeze(node);
  }
  return node;
}
