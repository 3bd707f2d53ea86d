/** The shape shared by wrappers: their own bookkeeping plus the wrapped transform's state. */
import type { AnyTransformation, GradientTransformation, Hyperparams } from "../transform.js";

export interface Wrapped<S = unknown> {
  inner: S;
}

export function checkInner(owner: string, tx: unknown): AnyTransformation {
  const t = tx as Partial<AnyTransformation> | null;
  if (!t || typeof t.init !== "function" || typeof t.update !== "function") {
    throw new TypeError(`${owner}: expected a gradient transformation to wrap`);
  }
  return t as AnyTransformation;
}

/** Lets `createOptimizer(...).hyperparams` see through a wrapper. */
export function innerHyperparams<S extends Wrapped>(
  tx: AnyTransformation,
): Pick<GradientTransformation<S>, "hyperparams"> {
  return { hyperparams: (state: S): Hyperparams | undefined => tx.hyperparams?.(state.inner) };
}
