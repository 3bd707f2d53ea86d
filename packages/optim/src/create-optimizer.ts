import { checkBoolean, checkInteger, checkNumber, checkOptions, showValue } from "./hyper.js";
import { type Arena, allocate, canShareMemory, createArena } from "./kernels/arena.js";
import {
  type Fused,
  fuse,
  type KernelName,
  type Stage,
  stageBlock,
  wasmStateBytes,
} from "./kernels/fused.js";
import { type Layout, layoutOf, mirror } from "./kernels/layout.js";
import { wasmTwoLoop } from "./kernels/lbfgs-two-loop.js";
import { type ThreadPool, wasmAvailable } from "./kernels/wasm-kernels.js";
import {
  type HookHandle,
  Hooks,
  type LoadStateDictPreHook,
  type StateDictPostHook,
  type StepPostHook,
  type StepPreHook,
} from "./optimizer-hooks.js";
import { restore, type Snapshot, snapshot } from "./snapshot.js";
import {
  type Conversion,
  copyStateInto,
  decodeConfig,
  decodeStateLike,
  type Encoded,
  encodeConfig,
  encodeState,
  STATE_DICT_VERSION,
  stateBytes,
} from "./state-dict.js";
import {
  type AnyTransformation,
  applyUpdates,
  type Closure,
  type ClosureUpdate,
  type Config,
  type Evaluation,
  type GradientTransformation,
  type Hyperparams,
  type StateBuffers,
  stateBuffers,
} from "./transform.js";
import { hostsTwoLoop, withTwoLoop } from "./transforms/scale-by-lbfgs.js";
import {
  assertSameStructure,
  type FloatArray,
  flatten,
  leavesOf,
  mapTree,
  showPath,
  type Tree,
} from "./tree.js";

/** Options of `createOptimizer`. */
export interface CreateOptimizerOptions {
  /**
   * "auto" (default): a fused kernel when the chain is one it knows — WASM SIMD for float32 params,
   * and for float64 ones where the optimizer has a float64 kernel (plain arrays are staged through an
   * arena the optimizer owns; params packed by `packTree` are updated where they are), JS for mixed
   * trees, the other float64 ones or without WebAssembly SIMD — and the reference chain otherwise.
   * `lbfgs` (and `scaleByLbfgs`) runs its two-loop recursion on WASM SIMD, the same bits as its
   * JavaScript loops ("reference"). "reference", "js" and "wasm" force one (throwing, with the
   * reason, when it cannot run this chain on these params).
   */
  kernel?: "auto" | KernelName;
  /**
   * Worker threads for the WASM kernels (e.g. `await nodeThreadPool(2)` from `momenta-optim/node`),
   * with plain or packed float32 params. Default: none (the calling thread only).
   */
  pool?: ThreadPool;
}

/**
 * What `stateDict()` returns: plain data, `JSON.stringify`-safe and exact. The format and how it may
 * grow are described in state-dict.ts (`STATE_DICT_VERSION`).
 */
export interface StateDict {
  /** Marks a momenta optimizer state dict. */
  format: "momenta.optimizer";
  /** The format's version: 2 (this momenta writes it, and reads 1 and 2). */
  version: number;
  /** Updates applied so far. */
  step: number;
  /** The params' leaf paths, to catch a state saved for another model. */
  paths: string[];
  /**
   * The optimizer's settings at `step` (`GradientTransformation.config`: lr, betas[0], eps…, a
   * schedule by its value then). Required from version 2 on (version 1 had none); `loadStateDict`
   * compares them with the current ones.
   */
  hyperparams?: Record<string, Encoded>;
  /** The transform's state, encoded (exact float arrays as base64). */
  state: Encoded;
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /**
   * Refuse a state dict whose recorded hyperparameters differ from this optimizer's (the error lists
   * them), instead of loading it and reporting them. Default false.
   */
  strict?: boolean;
  /**
   * Convert moment buffers saved in another storage than this optimizer's `stateDtype` (a float32
   * state dict into a bfloat16 or int8 optimizer, or back) instead of refusing them: values are
   * decoded and stored as this optimizer stores them (to nearest), and listed in the report's
   * `converted`. Default false: a different storage is an error.
   */
  convertState?: boolean;
}

/** One hyperparameter that differs between a state dict and the optimizer loading it. */
export interface HyperparamDifference {
  /** The setting's name (`lr`, `betas[0]`…; `name@i` for the i-th link of a chain when names repeat). */
  name: string;
  /** Its value in the state dict (undefined: the saving optimizer had no such setting). */
  saved: number | boolean | string | undefined;
  /** Its value in this optimizer at the loaded step (undefined: this optimizer has no such setting). */
  current: number | boolean | string | undefined;
}

/** What `loadStateDict` returns. */
export interface LoadReport {
  /**
   * The recorded hyperparameters that differ from this optimizer's. The optimizer keeps its own (its
   * definition, as in Optax: build it with the saved values to continue exactly as before); the
   * caller decides whether a difference matters (a new lr after a restart may be intended).
   */
  differences: HyperparamDifference[];
  /** False for a version-1 state dict, which records no hyperparameters: nothing was compared. */
  compared: boolean;
  /** With `convertState`: the buffers stored differently from how they were saved. */
  converted: Conversion[];
}

/** The object most users hold: params, a transform, its state, and a step counter. */
export interface OptimizerHandle<S> {
  /** The params, updated in place by `step`. */
  readonly params: Tree;
  /** The transform's state, updated in place by `step`. Throws once disposed. */
  readonly state: S;
  /** Updates applied so far. */
  readonly stepCount: number;
  /** The kernel running the updates. */
  readonly kernel: KernelName;
  /**
   * The optimizer's own gradient buffer, shaped like the params: write gradients into it and call
   * `step(opt.grads)` to skip the copy (with the WASM kernel it sits next to the params in their
   * arena, or in the optimizer's own). Throws once disposed.
   */
  readonly grads: Tree;
  /**
   * Live hyperparameters when the transform has them (`injectHyperparams`), else undefined: read the
   * values the next update will use; assign to change one mid-run (`opt.hyperparams.lr = 1e-4`).
   * Throws once disposed.
   */
  readonly hyperparams: Hyperparams | undefined;
  /**
   * The state's per-leaf buffers by name — `stateBuffers(tx, opt.state, opt.params)`: `opt.buffers.expAvgSq[0]`
   * is Adam's v for the first leaf. The state's own arrays, live (read them; write them only as the
   * algorithm would). Throws once disposed.
   */
  readonly buffers: StateBuffers;
  /**
   * The bytes of the algorithm's state — moments, block scales, counts (8 per number) — not the
   * gradient buffer or staging scratch: what `stateDtype` "bfloat16" halves and "int8" quarters.
   * Throws once disposed.
   */
  readonly stateBytes: number;
  /** One update from these gradients; the gradients are read, never written. */
  step(grads: Tree): void;
  /**
   * One update driven by a closure that evaluates the objective at the params as they stand and
   * returns `{ loss, grads }` (PyTorch's `step(closure)`): returns the loss of its first evaluation.
   * Most transforms evaluate once; closure transforms (L-BFGS, SAM) write trial points into the
   * params and evaluate again. All or nothing: if the closure or the update throws, the params and
   * state are those of the step's start. An async closure makes the step return a promise; no other
   * step may start before it settles.
   */
  step(closure: () => Evaluation): number;
  /** With an async closure: a promise of the first evaluation's loss (see the synchronous form). */
  step(closure: () => Promise<Evaluation>): Promise<number>;
  /** With a closure that may be either: the loss, or a promise of it when the closure returned one. */
  step(closure: Closure): number | Promise<number>;
  /** A snapshot of the step count and state: plain data, `JSON.stringify`-safe and exact. */
  stateDict(): StateDict;
  /**
   * Restores a state dict; on any problem throws and leaves the optimizer unchanged. Returns how
   * the recorded hyperparameters differ from this optimizer's (kept; `strict: true` refuses instead).
   */
  loadStateDict(dict: unknown, options?: LoadStateDictOptions): LoadReport;
  /** Calls `hook(opt, grads)` before each step; it may return gradients to use instead. */
  registerStepPreHook(hook: StepPreHook<OptimizerHandle<S>>): HookHandle;
  /** Calls `hook(opt)` after each completed step. */
  registerStepPostHook(hook: StepPostHook<OptimizerHandle<S>>): HookHandle;
  /** Calls `hook(opt, dict)` on each state dict `stateDict()` returns; it may return a replacement. */
  registerStateDictPostHook(hook: StateDictPostHook<OptimizerHandle<S>, StateDict>): HookHandle;
  /** Calls `hook(opt, dict)` on what `loadStateDict` is given, before it is read; it may return a replacement. */
  registerLoadStateDictPreHook(hook: LoadStateDictPreHook<OptimizerHandle<S>>): HookHandle;
  /**
   * Releases the optimizer's buffers: its own arena (plain float32 params on the WASM kernel) becomes
   * garbage even while this handle is kept, and the gradient buffer and state it placed after params
   * packed by `packTree` are handed back to their arena when nothing was allocated there since
   * (zeroed, for the next optimizer: arrays taken from `grads` or `state` before must not be used).
   * The params stay the caller's. Afterwards `step`, `stateDict`, `loadStateDict`, `grads`, `state`
   * and `hyperparams` throw; calling `dispose` again does nothing.
   */
  dispose(): void;
}

/**
 * Binds a transform to params (updated in place by `step`).
 *
 * The optimizer owns the leaf arrays it was given: to set params, write into those arrays in place
 * (`params.w.set(values)`); replacing a leaf by a new array (`params.w = new Float32Array(…)`) or
 * changing the tree makes the next `step` throw, naming the leaf (nothing is updated).
 *
 * `step(grads)` checks the gradients against the params (structure, dtype, length) before anything
 * changes, copies them into buffers it owns (so the transform may work in place without touching the
 * caller's arrays), runs the transform and adds the result to the params. Non-finite gradients are
 * not screened: like PyTorch, they propagate into the params and state (wrap the transform in
 * `skipNonFinite` to guard against them).
 */
export function createOptimizer<S>(
  transformation: GradientTransformation<S>,
  params: Tree,
  options: CreateOptimizerOptions = {},
): OptimizerHandle<S> {
  const owner = "createOptimizer";
  const t = transformation as Partial<GradientTransformation<S>> | null;
  if (t === null || typeof t !== "object" || typeof t.init !== "function" || typeof t.update !== "function") {
    throw new TypeError(
      `${owner}: expected a gradient transformation (adamw(), chain(…)…), got ${showValue(transformation)}`,
    );
  }
  checkOptions(owner, options, ["kernel", "pool"]);
  const choice = options.kernel ?? "auto";
  if (!["auto", "reference", "js", "wasm"].includes(choice)) {
    throw new RangeError(
      `${owner}: kernel must be "auto", "reference", "js" or "wasm", got ${showValue(choice)}`,
    );
  }
  if (options.pool !== undefined) checkPool(owner, options.pool);
  const lbfgs = twoLoopOn(transformation, choice as "auto" | KernelName, options.pool);
  const tx = lbfgs?.tx ?? transformation;
  const paths = flatten(params).paths;
  const paramLeaves = leavesOf(params);
  checkDistinctLeaves(paths, paramLeaves);
  const state = tx.init(params);
  const given = layoutOf(paramLeaves);
  // Plain float32 params the WASM kernel can run: staged through an arena of the optimizer's own
  // (the state, and scratch the blocks of params and gradients are copied into at each step).
  const staged =
    !lbfgs && (choice === "auto" || choice === "wasm")
      ? stageFor(tx, state, paramLeaves, given, options.pool)
      : undefined;
  const layout: Layout = staged ? { ...given, arena: staged.arena, base: 0 } : given;
  const userArena = staged ? undefined : layout.arena;
  const topBefore = userArena?.top ?? 0;
  // The gradient buffer mirrors the params' layout: next to them in their arena when packed (a plain
  // buffer when staged: the blocks are copied from it, or from the caller's gradients).
  const work = mirror(layout, staged ? undefined : layout.arena);
  // Frozen (its arrays stay writable), so `step(opt.grads)` can trust its structure without a walk.
  const workTree = deepFreeze(shapedLike(params, work.leaves));
  let fused: Fused | undefined;
  if (lbfgs) {
    // L-BFGS's kernel is its two-loop recursion's (twoLoopOn), not a fused update.
  } else if (choice !== "reference" && paramLeaves.length > 0) {
    const f = fuse(
      tx as AnyTransformation,
      state,
      params,
      paramLeaves,
      { flat: layout.arena ? work.flat : undefined, leaves: work.leaves },
      layout,
      choice,
      options.pool,
      staged ? { user: paramLeaves, scratch: staged.scratch } : undefined,
    );
    if (typeof f === "string") {
      if (staged) throw new Error(`createOptimizer: unreachable: staged params cannot be fused (${f})`);
      if (choice !== "auto")
        throw new TypeError(`createOptimizer: the ${choice} kernel cannot run this: ${f}`);
    } else fused = f;
  } else if (options.pool) {
    throw new TypeError("createOptimizer: a thread pool needs the wasm kernel");
  }
  const topAfter = userArena?.top ?? 0;
  const hyperparams = tx.hyperparams?.(state);
  // Everything that holds the optimizer's buffers, dropped at once by `dispose`.
  let live:
    | {
        state: S;
        workTree: Tree;
        workLeaves: FloatArray[];
        fused: Fused | undefined;
        hyperparams: Hyperparams | undefined;
        undo: Snapshot | undefined;
        /** Tells the pool to drop the memory it ran on (kept here: `dispose` must not hold it). */
        release: (() => void) | undefined;
      }
    | undefined = {
    state,
    workTree,
    workLeaves: work.leaves,
    fused,
    hyperparams,
    undo: undefined,
    release:
      fused && options.pool?.release && layout.arena
        ? releaser(options.pool, layout.arena.memory)
        : undefined,
  };
  const alive = () => {
    if (live === undefined) throw new Error("createOptimizer: this optimizer was disposed");
    return live;
  };
  let count = 0;
  let failure: Error | undefined;
  /** An async closure step is in flight: other steps wait for it. */
  let busy = false;
  const stepPre = new Hooks<StepPreHook<OptimizerHandle<S>>>();
  const stepPost = new Hooks<StepPostHook<OptimizerHandle<S>>>();
  const dictPost = new Hooks<StateDictPostHook<OptimizerHandle<S>, StateDict>>();
  const loadPre = new Hooks<LoadStateDictPreHook<OptimizerHandle<S>>>();
  /** The gradient step (`step(grads)`). */
  const gradientStep = (given: Tree): void => {
    const { state, workTree, workLeaves, fused } = alive();
    if (failure) throw failure;
    let grads = given;
    for (const hook of stepPre.all) grads = (hook(handle, grads) as Tree | undefined) ?? grads;
    checkBoundLeaves(params, paths, paramLeaves);
    // The optimizer's own buffer, untouched in structure, needs neither checks nor a copy.
    const own = grads === workTree;
    // Staged params read the caller's gradients block by block (while in cache): no copy here.
    let staged: FloatArray[] | undefined;
    if (!own) {
      assertSameStructure(params, grads, { what: "gradients", dtype: true });
      const gs = leavesOf(grads);
      if (fused?.stagesGradients) staged = gs;
      else for (let i = 0; i < gs.length; i++) if (gs[i] !== workLeaves[i]) workLeaves[i]!.set(gs[i]!);
    }
    if (fused) {
      fused.prepare(staged); // may throw: nothing has been written yet
      // A reporting step (observe) calls back after the update: a callback that throws undoes it.
      const reports = fused.reports();
      const undo = reports ? snapshot([state], live!.undo) : undefined;
      if (undo) live!.undo = undo;
      try {
        fused.run(staged); // staged params: copied in, updated and copied back
      } catch (e) {
        failure = new Error(
          `createOptimizer: a step failed inside the ${fused.kernel} kernel and left the state part-way; load a state dict (loadStateDict) to continue. Cause: ${(e as Error)?.message ?? String(e)}`,
          { cause: e },
        );
        throw failure;
      }
      if (undo) {
        try {
          fused.report();
        } catch (e) {
          restore(undo);
          fused.undoParams();
          throw e;
        }
      }
    } else {
      // All or nothing: whatever throws (a schedule, a callback, a wrapper's check), the state —
      // and the gradient buffer, which the chain works in, when the caller stepped from it — is
      // put back as it was; params are written only after the whole chain has succeeded.
      const undo = snapshot(own ? [state, workLeaves] : [state], live!.undo);
      live!.undo = undo;
      try {
        applyUpdates(params, tx.update(workTree, state, params));
      } catch (e) {
        restore(undo);
        throw e;
      }
    }
    count += 1;
    for (const hook of stepPost.all) hook(handle);
  };

  /**
   * The closure step: the first evaluation's gradient steps an ordinary transform; a closure
   * transform's generator is driven, each yield answered by the closure. Params and state are put
   * back if anything throws, whether the closure is synchronous or not.
   */
  const closureStep = (closure: Closure): number | Promise<number> => {
    if (busy) throw new Error("createOptimizer: a step with an async closure is in progress; await it first");
    const { state, workTree, workLeaves } = alive();
    if (failure) throw failure;
    const evaluate = (): Evaluation | Promise<Evaluation> => {
      const r = closure();
      return isPromise(r) ? r.then(checkEvaluation) : checkEvaluation(r);
    };
    if (!tx.updateWithClosure) {
      const first = evaluate();
      if (!isPromise(first)) {
        gradientStep(first.grads);
        return first.loss;
      }
      busy = true;
      return first.then(
        (e) => {
          busy = false;
          gradientStep(e.grads);
          return e.loss;
        },
        (e) => {
          busy = false;
          throw e;
        },
      );
    }
    // params too: the transform moves them to its trial points
    const undo = snapshot([state, paramLeaves, workLeaves], live!.undo);
    live!.undo = undo;
    const fail = (e: unknown): never => {
      busy = false;
      restore(undo);
      throw e;
    };
    // Runs the generator until done, or until an evaluation is a promise (then on asynchronously);
    // gives the updates, already added to the params.
    const drive = (gen: ClosureUpdate, next: Evaluation | undefined): undefined | Promise<undefined> => {
      let r = next === undefined ? gen.next() : gen.next(next);
      while (!r.done) {
        checkBoundLeaves(params, paths, paramLeaves);
        const e = evaluate();
        if (isPromise(e)) {
          busy = true;
          return e.then((v) => drive(gen, checked(v)));
        }
        r = gen.next(checked(e));
      }
      applyUpdates(params, r.value);
      return undefined;
    };
    const checked = (e: Evaluation): Evaluation => {
      assertSameStructure(params, e.grads, { what: "gradients", dtype: true });
      return e;
    };
    const start = (first: Evaluation): undefined | Promise<undefined> => {
      let grads = first.grads;
      for (const hook of stepPre.all) grads = (hook(handle, grads) as Tree | undefined) ?? grads;
      checkBoundLeaves(params, paths, paramLeaves);
      assertSameStructure(params, grads, { what: "gradients", dtype: true });
      const gs = leavesOf(grads);
      for (let i = 0; i < gs.length; i++) if (gs[i] !== workLeaves[i]) workLeaves[i]!.set(gs[i]!);
      return drive(tx.updateWithClosure!(workTree, state, params, first.loss), undefined);
    };
    // the step is complete: count it and call the post hooks (as a gradient step does)
    const done = (loss: number): number => {
      busy = false;
      count += 1;
      for (const hook of stepPost.all) hook(handle);
      return loss;
    };
    let first: Evaluation | Promise<Evaluation>;
    let run: undefined | Promise<undefined>;
    try {
      first = evaluate();
      if (!isPromise(first)) run = start(first);
    } catch (e) {
      return fail(e);
    }
    if (!isPromise(first)) {
      if (run === undefined) return done(first.loss);
      return run.then(() => done((first as Evaluation).loss), fail);
    }
    busy = true;
    let loss = Number.NaN;
    return first
      .then((v) => {
        loss = v.loss;
        return start(v);
      })
      .then(() => done(loss), fail);
  };

  const handle: OptimizerHandle<S> = {
    params,
    get state() {
      return alive().state;
    },
    get hyperparams() {
      return alive().hyperparams;
    },
    get buffers() {
      return stateBuffers(tx, alive().state, params);
    },
    get stateBytes() {
      return stateBytes(alive().state);
    },
    kernel: fused?.kernel ?? lbfgs?.kernel ?? "reference",
    get grads() {
      return alive().workTree;
    },
    get stepCount() {
      return count;
    },
    step: ((given: Tree | Closure) => {
      if (typeof given === "function") return closureStep(given);
      if (busy)
        throw new Error("createOptimizer: a step with an async closure is in progress; await it first");
      gradientStep(given);
      return undefined;
    }) as OptimizerHandle<S>["step"],
    stateDict() {
      const { state } = alive();
      let dict: StateDict = {
        format: "momenta.optimizer",
        version: STATE_DICT_VERSION,
        step: count,
        paths: [...paths],
        hyperparams: encodeConfig(tx.config?.(state) ?? {}),
        state: encodeState(state),
      };
      for (const hook of dictPost.all) dict = (hook(handle, dict) as StateDict | undefined) ?? dict;
      return dict;
    },
    loadStateDict(given, options = {}) {
      const { state } = alive();
      let dict = given;
      for (const hook of loadPre.all) dict = hook(handle, dict) ?? dict;
      const d = dict as Partial<StateDict> | null;
      const fail = (msg: string): never => {
        throw new TypeError(`loadStateDict: ${msg}`);
      };
      checkOptions("loadStateDict", options, ["strict", "convertState"]);
      const strict = checkBoolean("loadStateDict", "strict", options.strict ?? false);
      const convert = checkBoolean("loadStateDict", "convertState", options.convertState ?? false);
      const converted: Conversion[] = [];
      if (d === null || typeof d !== "object" || Array.isArray(d))
        return fail("expected a state dict object");
      if (d.format !== "momenta.optimizer")
        fail(`not a momenta optimizer state dict (format ${showValue(d.format)})`);
      if (d.version !== 1 && d.version !== STATE_DICT_VERSION)
        fail(
          `unsupported version ${showValue(d.version)} (this momenta reads versions 1 and ${STATE_DICT_VERSION})`,
        );
      for (const k of Object.keys(d)) {
        if (!STATE_DICT_KEYS.includes(k) || (k === "hyperparams" && d.version === 1))
          fail(`unexpected key '${k}'`);
      }
      const step = d.step;
      if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
        return fail(`step must be a whole number from 0 to 2^53 − 1, got ${showValue(step)}`);
      }
      let saved: Config | undefined;
      if (d.version !== 1) {
        try {
          saved = decodeConfig(d.hyperparams);
        } catch (e) {
          return fail((e as Error).message);
        }
      }
      if (
        !Array.isArray(d.paths) ||
        d.paths.length !== paths.length ||
        d.paths.some((p, k) => p !== paths[k])
      ) {
        const got = Array.isArray(d.paths) ? d.paths : [];
        const i = paths.findIndex((p, k) => got[k] !== p);
        const at = i < 0 ? paths.length : i;
        fail(
          `saved for different params: leaf ${at} is ${at < got.length ? showValue(got[at]) : "absent"} in the state dict but ${at < paths.length ? showValue(paths[at]) : "absent"} here`,
        );
      }
      let decoded: unknown;
      let differences: HyperparamDifference[] = [];
      try {
        decoded = decodeStateLike(state, d.state, "state", convert ? converted : undefined);
        tx.checkState?.(decoded as S);
        if (saved) differences = compareConfigs(saved, tx.config?.(decoded as S) ?? {});
      } catch (e) {
        return fail((e as Error).message);
      }
      if (strict && differences.length > 0) {
        fail(
          `the state dict was saved with other hyperparameters (${differences.map(showDifference).join("; ")}); build the optimizer with the saved values, or load without strict to keep this optimizer's`,
        );
      }
      copyStateInto(state, decoded);
      count = step;
      failure = undefined;
      return { differences, compared: saved !== undefined, converted };
    },
    registerStepPreHook: (hook) => stepPre.register("registerStepPreHook", hook),
    registerStepPostHook: (hook) => stepPost.register("registerStepPostHook", hook),
    registerStateDictPostHook: (hook) => dictPost.register("registerStateDictPostHook", hook),
    registerLoadStateDictPreHook: (hook) => loadPre.register("registerLoadStateDictPreHook", hook),
    dispose() {
      if (live === undefined) return;
      const { release } = live;
      live = undefined;
      // The pool's threads keep the memory they ran on until told to drop it.
      release?.();
      // What this optimizer allocated after packed params goes back to their arena, zeroed (as
      // `allocate` hands out), unless something was allocated there since.
      if (userArena && userArena.top === topAfter && topAfter > topBefore) {
        new Uint8Array(userArena.memory.buffer, topBefore, topAfter - topBefore).fill(0);
        userArena.top = topBefore;
      }
    },
  };
  return handle;
}

/**
 * The arena staging plain float32 params for the WASM kernel (room for the state, and the scratch
 * regions, allocated); undefined when the params are packed already, not all float32, or the WASM
 * kernel cannot run this chain — or the arena cannot be had (past 4 GiB): the JS kernel runs then.
 */
/**
 * An L-BFGS transform (`scaleByLbfgs`, `lbfgs`) with its two-loop recursion on the WASM SIMD kernels
 * when the choice allows ("auto" where WebAssembly SIMD runs, "wasm"; the result is the same bits as
 * the JavaScript loops'); `undefined` for any other transform.
 */
function twoLoopOn<S>(
  tx: GradientTransformation<S>,
  choice: "auto" | KernelName,
  pool: ThreadPool | undefined,
): { tx: GradientTransformation<S>; kernel: KernelName } | undefined {
  if (!hostsTwoLoop(tx)) return undefined;
  if (choice === "js")
    throw new TypeError(
      'createOptimizer: the js kernel cannot run this: L-BFGS has no fused JavaScript kernel (its own loops are the reference; kernel "auto" runs its two-loop recursion on WASM)',
    );
  if (pool) throw new TypeError("createOptimizer: L-BFGS runs on one thread: leave out the pool");
  if (choice === "reference") return { tx, kernel: "reference" };
  if (!wasmAvailable()) {
    if (choice === "wasm")
      throw new TypeError(
        "createOptimizer: the wasm kernel cannot run this: WebAssembly SIMD is not available here",
      );
    return { tx, kernel: "reference" };
  }
  return { tx: tx[withTwoLoop](wasmTwoLoop()) as unknown as GradientTransformation<S>, kernel: "wasm" };
}

function stageFor(
  tx: GradientTransformation<unknown>,
  state: unknown,
  leaves: FloatArray[],
  layout: Layout,
  pool: ThreadPool | undefined,
): { arena: Arena; scratch: Stage["scratch"] } | undefined {
  const dtype = layout.dtype;
  if (leaves.length === 0 || layout.arena !== undefined || dtype === "mixed") return undefined;
  // Shared only for a pool (copies to and from a shared memory are slower).
  if (pool && !canShareMemory()) return undefined;
  const stateBytes = wasmStateBytes(tx as AnyTransformation, state, layout);
  if (stateBytes === undefined) return undefined;
  // The state and two scratch pairs (each region 16-byte aligned and padded); plus a page.
  const width = dtype === "float64" ? 8 : 4;
  const block = Math.min(stageBlock(pool), Math.ceil(layout.total / 4) * 4);
  const bytes = stateBytes + 4 * (block * width + 16) + 65536;
  let arena: Arena;
  try {
    arena = createArena({ shared: pool !== undefined, bytes });
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
  const pair = (): [FloatArray, FloatArray] => [allocate(arena, block, dtype), allocate(arena, block, dtype)];
  // Two pairs where the pool updates one block while this thread copies the next (see fused.ts).
  const scratch: Stage["scratch"] = pool?.runAlongside && pool.size >= 2 ? [pair(), pair()] : [pair()];
  return { arena, scratch };
}

const STATE_DICT_KEYS = ["format", "version", "step", "paths", "hyperparams", "state"];

/**
 * Throws unless `params` still holds the very arrays it was bound with (O(leaves), by identity):
 * a leaf replaced by a new array would be trained by some paths and not by others.
 */
function checkBoundLeaves(params: Tree, paths: readonly string[], bound: readonly FloatArray[]): void {
  const now = leavesOf(params);
  for (let i = 0; i < bound.length; i++) {
    if (now[i] !== bound[i]) {
      throw new Error(
        `createOptimizer: the leaf ${JSON.stringify(paths[i])} of the params is not the array the optimizer was created with (replaced, or the tree changed); the optimizer owns the leaf arrays it was given: write new values into them in place (e.g. params.w.set(values)), or create a new optimizer`,
      );
    }
  }
  if (now.length !== bound.length) {
    throw new Error(
      `createOptimizer: the params have ${now.length} leaves, the optimizer was created with ${bound.length}; the tree must keep its structure and arrays (create a new optimizer instead)`,
    );
  }
}

/** A call of `pool.release(memory)`, closing over nothing else. */
function releaser(pool: ThreadPool, memory: WebAssembly.Memory): () => void {
  return () => pool.release?.(memory);
}

/** Throws a TypeError or RangeError unless `pool` looks like a `ThreadPool`. */
function checkPool(owner: string, pool: unknown): void {
  const p = pool as Partial<ThreadPool> | null;
  if (p === null || typeof p !== "object" || typeof p.run !== "function" || typeof p.close !== "function") {
    throw new TypeError(
      `${owner}: pool must be a ThreadPool (e.g. await nodeThreadPool(2) from momenta-optim/node), got ${showValue(pool)}`,
    );
  }
  checkInteger(owner, "pool.size", p.size, "[1, inf)");
  checkNumber(owner, "pool.minPerThread", p.minPerThread, "[1, inf]");
  if (p.release !== undefined && typeof p.release !== "function")
    throw new TypeError(`${owner}: pool.release must be a function when given, got ${showValue(p.release)}`);
}

/** The differences between saved and current settings, by name, in sorted order. */
function compareConfigs(saved: Config, current: Config): HyperparamDifference[] {
  const names = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  return names
    .filter((name) => !Object.is(saved[name], current[name]))
    .map((name) => ({ name, saved: saved[name], current: current[name] }));
}

/** "lr: saved 0.001, now 0.0003". */
export function showDifference(d: HyperparamDifference): string {
  const show = (v: unknown) =>
    v === undefined ? "absent" : typeof v === "string" ? JSON.stringify(v) : String(v);
  return `${d.name}: saved ${show(d.saved)}, now ${show(d.current)}`;
}

/**
 * Refuses params in which two leaves share memory — the same array twice, or overlapping views of
 * one buffer: each appearance would be updated in turn, with a state of its own.
 */
function checkDistinctLeaves(paths: readonly string[], leaves: readonly FloatArray[]): void {
  const refuse = (a: number, b: number, how: string): never => {
    throw new TypeError(
      `createOptimizer: params ${showPath(paths[Math.min(a, b)]!)} and ${showPath(paths[Math.max(a, b)]!)} ${how}; every leaf must have its own memory, or it would be updated once per appearance, each time with a state of its own`,
    );
  };
  const seen = new Map<FloatArray, number>();
  const byBuffer = new Map<ArrayBufferLike, number[]>();
  leaves.forEach((leaf, i) => {
    const twin = seen.get(leaf);
    if (twin !== undefined) refuse(twin, i, "are the same array");
    seen.set(leaf, i);
    if (leaf.length === 0) return;
    const list = byBuffer.get(leaf.buffer);
    if (list) list.push(i);
    else byBuffer.set(leaf.buffer, [i]);
  });
  const start = (i: number) => leaves[i]!.byteOffset;
  const end = (i: number) => leaves[i]!.byteOffset + leaves[i]!.byteLength;
  for (const list of byBuffer.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => start(a) - start(b));
    let reach = list[0]!; // of the leaves so far, the one ending furthest
    for (const i of list.slice(1)) {
      if (start(i) < end(reach)) refuse(reach, i, "share memory (overlapping views of one buffer)");
      if (end(i) > end(reach)) reach = i;
    }
  }
}

/**
 * `leaves` in the shape of `tree`. (Outside `createOptimizer`: a closure there would keep the
 * gradient buffer in the scope its methods share, past `dispose`.)
 */
function shapedLike(tree: Tree, leaves: readonly FloatArray[]): Tree {
  let i = 0;
  return mapTree(tree, () => leaves[i++]!);
}

/** Freezes a tree's objects and arrays (not its typed arrays, whose elements stay writable). */
function deepFreeze<T>(node: T): T {
  if (node !== null && typeof node === "object" && !ArrayBuffer.isView(node)) {
    for (const v of Object.values(node)) deepFreeze(v);
    Object.freeze(node);
  }
  return node;
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return x !== null && typeof x === "object" && typeof (x as { then?: unknown }).then === "function";
}

/** A closure's result, checked: `{ loss, grads }` with a number loss (the gradients are checked by the step). */
function checkEvaluation(e: unknown): Evaluation {
  const r = e as Partial<Evaluation> | null;
  if (r === null || typeof r !== "object" || typeof r.loss !== "number" || r.grads === undefined)
    throw new TypeError(
      `createOptimizer: a closure must return { loss, grads } (loss a number, grads shaped like the params), got ${showValue(e)}`,
    );
  return r as Evaluation;
}
