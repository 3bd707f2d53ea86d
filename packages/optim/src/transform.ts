/**
 * The GradientTransformation contract, composition, and applying updates.
 *
 * Ownership, decided once for every transform in momenta:
 * - `update(updates, state, params)` MAY overwrite the arrays of `updates` and return them
 *   transformed (this is what makes a chain allocation-free). Hand it arrays you no longer need —
 *   `createOptimizer` does this for you: it copies your gradients into its own buffers first, so the
 *   gradient arrays you pass to `step` are never written.
 * - `params` are read, never written, by `update`; only `applyUpdates` writes them.
 * - `state` is mutated in place. It is plain data (objects, arrays, numbers, booleans, null and
 *   Float32/Float64 arrays), which is what lets `stateDict()` save and restore any chain.
 */
import {
  assertSameStructure,
  type FloatArray,
  flatten,
  leafData,
  leavesOf,
  showPath,
  type Tree,
} from "./tree.js";

/**
 * A gradient transformation (Optax's contract): `init` makes the state for given params, `update`
 * turns updates (at first, gradients) into new updates, mutating the state. Optimizers, clipping,
 * schedules' scaling and wrappers are all transformations; `chain` composes them.
 */
export interface GradientTransformation<S = unknown> {
  /** Creates the state for these params (buffers shaped like them). */
  init(params: Tree): S;
  /** Transforms `updates` (see ownership above), mutating `state`. */
  update(updates: Tree, state: S, params?: Tree): Tree;
  /**
   * Optional: the live hyperparameters inside this transform (see `injectHyperparams`), found
   * through chains and wrappers; `createOptimizer(...).hyperparams` is this view.
   */
  hyperparams?(state: S): Hyperparams | undefined;
  /**
   * Optional: this transform's settings as they stand at `state` — numbers (a schedule by its value
   * at the state's count), booleans and strings, by the option names users pass (`lr`, `betas[0]`,
   * `eps`…). State dicts record them; `loadStateDict` reports every difference from the current
   * optimizer's. Found through chains and wrappers.
   */
  config?(state: S): Config;
  /**
   * Optional: throws (naming the problem) when `state` — e.g. one decoded from a state dict — is one
   * this transform cannot continue from, beyond what its structure shows (e.g. live hyperparameters
   * out of range). Found through chains and wrappers; `loadStateDict` calls it before changing anything.
   */
  checkState?(state: S): void;
  /**
   * Optional: this transform's per-leaf state buffers by name — one array per leaf of `params`, in
   * the tree's leaf order (e.g. scaleByAdam's `{ expAvg, expAvgSq }`; an empty array for a leaf the
   * buffer does not apply to, as in `partition`). The state's own arrays, not copies: read them, and
   * write them only as the algorithm would. Found through chains (a name two links share is given as
   * `name@i` for the later link, i its place) and wrappers; `stateBuffers` and
   * `createOptimizer(...).buffers` are this view.
   */
  buffers?(state: S, params: Tree): StateBuffers;
  /**
   * Optional, for transforms that evaluate the objective during an update (L-BFGS's line search,
   * SAM's second gradient): the update as a generator, run by `createOptimizer(...).step(closure)`.
   * It starts from the gradient of the closure's first evaluation (in `updates`, which it may
   * overwrite); to evaluate elsewhere it writes the trial point into `params` (the caller's own
   * arrays) and yields, and is resumed with the loss and gradient there; it returns the updates to
   * add to `params` as it leaves them. Its plain `update` throws, asking for a closure.
   */
  updateWithClosure?(updates: Tree, state: S, params: Tree, loss: number): ClosureUpdate;
  /**
   * Optional: what this transform computes, in a form the fused kernels recognize (set by the
   * optimizer aliases and clipByGlobalNorm). Opaque to everything else.
   */
  readonly fusion?: unknown;
  /** Set by `chain`: its members, in order. */
  readonly parts?: readonly AnyTransformation[];
}

/** A transform's recorded settings: see `GradientTransformation.config`. */
export type Config = Record<string, number | boolean | string>;

/** What a closure returns: the loss at the params as they stand, and its gradient (shaped like them). */
export interface Evaluation {
  /** The objective's value at the params as they stand. */
  loss: number;
  /** Its gradient there, shaped like the params (same leaves, dtypes and lengths). */
  grads: Tree;
}

/** Evaluates the objective at the params as they stand: `() => ({ loss, grads })`, or a promise of it. */
export type Closure = () => Evaluation | Promise<Evaluation>;

/**
 * A closure transform's update (`GradientTransformation.updateWithClosure`): yields for each
 * evaluation it needs, is resumed with it, and returns the updates.
 */
export type ClosureUpdate = Generator<void, Tree, Evaluation>;

/** A transform's state buffers by name, one array per leaf: see `GradientTransformation.buffers`. */
export type StateBuffers = Record<string, readonly FloatArray[]>;

/**
 * The per-leaf state buffers of `tx` at `state`, by name (see `GradientTransformation.buffers`): how
 * to read an optimizer's moments without knowing how its chain lays out its state. Empty for a
 * stateless transform.
 *
 * ```ts
 * const tx = adamw({ lr: 1e-3 });
 * const state = tx.init(params);
 * stateBuffers(tx, state, params).expAvgSq; // v, one array per leaf
 * ```
 */
export function stateBuffers<S>(tx: GradientTransformation<S>, state: S, params: Tree): StateBuffers {
  return tx.buffers?.(state, params) ?? {};
}

/**
 * Merges named views in order; a name already taken is given as `name@key` (a chain link's index,
 * a partition's label).
 */
export function mergeBuffers(
  views: readonly [key: string | number, view: StateBuffers | undefined][],
): StateBuffers {
  const merged: Record<string, readonly FloatArray[]> = {};
  for (const [key, view] of views)
    for (const [k, v] of Object.entries(view ?? {})) merged[k in merged ? `${k}@${key}` : k] = v;
  return merged;
}

/** A live view of hyperparameters: reading gives the value the next update will use; writing fixes it. */
export type Hyperparams = Record<string, number>;

/** A transform of any state type, for collections of transforms. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of transforms has no better type
export type AnyTransformation = GradientTransformation<any>;

/** The state type of a transformation type. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

/** The identity: updates pass through unchanged. */
export function identity(): GradientTransformation<null> {
  return { init: () => null, update: (updates) => updates };
}

/**
 * Applies transforms in order, each to the output of the one before; the state is the list of their
 * states. When `params` are given, the updates are checked against them before anything runs.
 */
export function chain<const T extends readonly AnyTransformation[]>(
  ...txs: T
): GradientTransformation<{ -readonly [K in keyof T]: StateOf<T[K]> }> {
  type S = { -readonly [K in keyof T]: StateOf<T[K]> };
  txs.forEach((tx, i) => {
    if (!tx || typeof tx.init !== "function" || typeof tx.update !== "function") {
      throw new TypeError(`chain: argument ${i} is not a gradient transformation`);
    }
  });
  return {
    parts: txs,
    hyperparams(state) {
      const states = state as unknown as unknown[];
      for (let i = 0; i < txs.length; i++) {
        const view = txs[i]!.hyperparams?.(states[i]);
        if (view) return view;
      }
      return undefined;
    },
    config(state) {
      const states = state as unknown as unknown[];
      const merged: Config = {};
      txs.forEach((tx, i) => {
        // A name two links share keeps the first link's; the later one is told apart by its place.
        for (const [k, v] of Object.entries(tx.config?.(states[i]) ?? {}))
          merged[k in merged ? `${k}@${i}` : k] = v;
      });
      return merged;
    },
    checkState(state) {
      const states = state as unknown as unknown[];
      txs.forEach((tx, i) => {
        tx.checkState?.(states[i]);
      });
    },
    buffers(state, params) {
      const states = state as unknown as unknown[];
      return mergeBuffers(txs.map((tx, i) => [i, tx.buffers?.(states[i], params)]));
    },
    ...(txs.some((tx) => tx.updateWithClosure)
      ? {
          // a closure member's evaluations come back raw: the links before it transform only the
          // first gradient
          *updateWithClosure(updates: Tree, state: S, params: Tree, loss: number): ClosureUpdate {
            const states = state as unknown as unknown[];
            if (!Array.isArray(states) || states.length !== txs.length) {
              throw new TypeError(`chain: expected a state of ${txs.length} entries`);
            }
            assertSameStructure(params, updates, { what: "updates", dtype: true });
            let u = updates;
            for (let i = 0; i < txs.length; i++) {
              const tx = txs[i]!;
              u = tx.updateWithClosure
                ? yield* tx.updateWithClosure(u, states[i], params, loss)
                : tx.update(u, states[i], params);
            }
            return u;
          },
        }
      : {}),
    init: (params) => txs.map((tx) => tx.init(params)) as unknown as S,
    update(updates, state, params) {
      const states = state as unknown as unknown[];
      if (!Array.isArray(states) || states.length !== txs.length) {
        throw new TypeError(`chain: expected a state of ${txs.length} entries`);
      }
      if (params !== undefined) assertSameStructure(params, updates, { what: "updates", dtype: true });
      let u = updates;
      for (let i = 0; i < txs.length; i++) u = txs[i]!.update(u, states[i], params);
      return u;
    },
  };
}

/** `params += updates`, leaf by leaf, in place. Returns `params`. */
export function applyUpdates(params: Tree, updates: Tree): Tree {
  assertSameStructure(params, updates, { what: "updates", dtype: false });
  const ps = leavesOf(params);
  const us = leavesOf(updates);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const u = us[i]!;
    for (let j = 0; j < p.length; j++) p[j]! += u[j]!;
  }
  return params;
}

// ---- helpers shared by the leaf-wise transforms -------------------------------------------------

/** One zero-filled (or `fill`-filled) buffer per leaf, of the leaf's dtype. */
export function buffersLike(params: Tree, fill = 0): FloatArray[] {
  return leavesOf(params).map((d) => {
    const b = d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length);
    if (fill !== 0) b.fill(fill);
    return b;
  });
}

/**
 * The update leaves, checked against a state buffer list before anything is written, so that a
 * mismatched tree leaves the state untouched.
 */
export function updateLeaves(
  owner: string,
  updates: Tree,
  buffers: readonly { readonly length: number }[],
): FloatArray[] {
  const us = leavesOf(updates);
  if (us.length !== buffers.length) {
    throw new TypeError(
      `${owner}: updates have ${us.length} leaves but the state was made for ${buffers.length}`,
    );
  }
  for (let i = 0; i < us.length; i++) {
    if (us[i]!.length !== buffers[i]!.length) {
      const { paths } = flatten(updates);
      throw new TypeError(
        `${owner}: leaf ${showPath(paths[i]!)} has length ${us[i]!.length} but its state has ${buffers[i]!.length}`,
      );
    }
  }
  return us;
}

/** The params' leaves, required by transforms that read them. */
export function paramLeaves(owner: string, params: Tree | undefined, count: number): FloatArray[] {
  if (params === undefined)
    throw new TypeError(`${owner}: this transform needs params; pass them to update()`);
  const ps = flatten(params).leaves.map(leafData);
  if (ps.length !== count)
    throw new TypeError(`${owner}: params have ${ps.length} leaves, updates have ${count}`);
  return ps;
}
