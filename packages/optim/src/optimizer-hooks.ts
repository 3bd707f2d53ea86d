/**
 * Hooks on an optimizer handle, as PyTorch's `Optimizer.register_*_hook`: functions called before and
 * after each step, after `stateDict()` builds its snapshot and before `loadStateDict` reads one.
 * Each registration returns a handle whose `remove()` unregisters it (once; later calls do nothing).
 * Hooks run in the order they were registered; one that throws stops the call it is in.
 */
import type { Tree } from "./tree.js";

/** What `register…Hook` returns. */
export interface HookHandle {
  /** Unregisters the hook (once; later calls do nothing). */
  remove(): void;
}

/**
 * Called before each step with the optimizer and the gradients; may return other gradients (a tree
 * shaped like the params) to step from instead. Throwing here changes nothing.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing is a block without `return`
export type StepPreHook<O> = (optimizer: O, grads: Tree) => Tree | undefined | void;
/** Called after each completed step (the step and its count stand even if this throws). */
export type StepPostHook<O> = (optimizer: O) => void;
/** Called with the snapshot `stateDict()` built; may return a replacement (e.g. with fields of your own). */
// biome-ignore lint/suspicious/noConfusingVoidType: as StepPreHook
export type StateDictPostHook<O, D> = (optimizer: O, stateDict: D) => D | undefined | void;
/**
 * Called with what `loadStateDict` was given, before it is read; may return a replacement (e.g.
 * without the fields a state-dict hook added). The dict is validated after the hooks.
 */
export type LoadStateDictPreHook<O> = (optimizer: O, stateDict: unknown) => unknown;

/** An ordered list of hooks of one kind. */
export class Hooks<F extends (...args: never[]) => unknown> {
  private readonly list: { fn: F }[] = [];

  register(owner: string, fn: F): HookHandle {
    if (typeof fn !== "function")
      throw new TypeError(`${owner}: a hook must be a function, got ${typeof fn}`);
    const entry = { fn };
    this.list.push(entry);
    return {
      remove: () => {
        const i = this.list.indexOf(entry);
        if (i >= 0) this.list.splice(i, 1);
      },
    };
  }

  /** The hooks in order (a copy: a hook may remove itself while they run). */
  get all(): F[] {
    return this.list.map((e) => e.fn);
  }
}
