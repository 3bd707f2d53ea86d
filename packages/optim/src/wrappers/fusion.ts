/**
 * What a wrapper does around the step it wraps, stated once more as data, so that the fused kernels
 * (`kernels/fused.ts`) can run a wrapped optimizer without falling back to the reference chain. The
 * wrapper's `update` stays the definition; the fused path is tested equal to it (JS bit for bit,
 * WASM to float32 rounding). Every wrapper's state keeps the wrapped state under `inner`.
 */
import type { AnyTransformation } from "../transform.js";
import type { FloatArray, Tree } from "../tree.js";

interface Common {
  /** The wrapper's name, for error messages. */
  owner: string;
  /**
   * The wrapped transform as it runs at this step. Static for most wrappers; `injectHyperparams`
   * evaluates the values in force (it may throw: a schedule's value out of range), makes them the
   * ones its live options read, and returns the optimizer built for them.
   */
  inner(state: unknown): AnyTransformation;
}

export type WrapperFusion =
  /** `skipNonFinite`: a gradient holding NaN or ±∞ skips the wrapped step (counted), or throws past the limit. */
  | (Common & { kind: "skip-non-finite"; maxConsecutive: number })
  /** `injectHyperparams`: `inner` sets the values in force; `commit` records them after the step. */
  | (Common & { kind: "inject-hyperparams"; commit(state: unknown): void })
  /** `ema` / `polyak`: after the step, `average ← d·average + (1 − d)·params`. */
  | (Common & { kind: "average"; decay: number | "uniform" })
  /** `accumulateGradients`: k − 1 calls sum the gradient; the k-th steps with the mean. */
  | (Common & { kind: "accumulate"; k: number })
  /**
   * `observe`: every `every`-th step reports statistics. The fused step calls `before` (on a
   * reporting step, with the gradient observe sees), then the update runs, then `after` (its counts;
   * returns the clip scale), then `report` with the update as applied (new params − old) and the old
   * params — whose `onStats` may throw: the step is then undone.
   */
  | (Common & {
      kind: "observe";
      /** Why the fused kernels cannot run it (the v-scar estimate reads every gradient), if so. */
      unfusible: string | undefined;
      reports(state: unknown): boolean;
      before(state: unknown, grads: readonly FloatArray[], params: Tree): unknown;
      after(state: unknown): number;
      report(
        state: unknown,
        before: unknown,
        updates: readonly FloatArray[],
        oldParams: readonly FloatArray[],
        params: Tree,
        clipScale: number,
      ): void;
    });

/** Whether a transform's `fusion` is a wrapper's. */
export function isWrapperFusion(f: unknown): f is WrapperFusion {
  const kind = (f as { kind?: unknown } | null | undefined)?.kind;
  return (
    kind === "skip-non-finite" ||
    kind === "inject-hyperparams" ||
    kind === "average" ||
    kind === "accumulate" ||
    kind === "observe"
  );
}
