/** The shape shared by wrappers: their own bookkeeping plus the wrapped transform's state. */
import type {
  AnyTransformation,
  Config,
  GradientTransformation,
  Hyperparams,
  StateBuffers,
} from "../transform.js";
import type { Tree } from "../tree.js";

/** The part every wrapper's state shares: the wrapped transform's own state, under `inner`. */
export interface Wrapped<S = unknown> {
  /** The wrapped transform's state. */
  inner: S;
}

/**
 * Checks that a wrapper was given a gradient transformation, naming the wrapper if not. Closure
 * transforms (L-BFGS, SAM) are refused here, at construction: their update evaluates the objective
 * itself, which a wrapper's `update` cannot drive (`sam` wraps gradient optimizers on its own terms).
 */
export function checkInner(owner: string, tx: unknown): AnyTransformation {
  const t = tx as Partial<AnyTransformation> | null;
  if (!t || typeof t.init !== "function" || typeof t.update !== "function") {
    throw new TypeError(`${owner}: expected a gradient transformation to wrap`);
  }
  if (typeof t.updateWithClosure === "function")
    throw new TypeError(
      `${owner}: cannot wrap a closure transform (L-BFGS, SAM): it evaluates the objective during its update; step it with a closure, unwrapped or in a chain`,
    );
  return t as AnyTransformation;
}

/**
 * What a wrapper passes through from the transform it wraps: its live hyperparameters
 * (`createOptimizer(...).hyperparams`), its recorded settings, its state check and its state
 * buffers (a wrapper with buffers of its own lists them after these).
 */
export function innerHyperparams<S extends Wrapped>(
  tx: AnyTransformation,
): Pick<GradientTransformation<S>, "hyperparams" | "config" | "checkState" | "buffers"> {
  return {
    hyperparams: (state: S): Hyperparams | undefined => tx.hyperparams?.(state.inner),
    config: (state: S): Config => tx.config?.(state.inner) ?? {},
    checkState: (state: S): void => tx.checkState?.(state.inner),
    buffers: (state: S, params: Tree): StateBuffers => tx.buffers?.(state.inner, params) ?? {},
  };
}
