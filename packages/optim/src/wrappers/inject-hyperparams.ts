import { showValue, valueAt } from "../hyper.js";
import type { AnyTransformation, GradientTransformation, Hyperparams } from "../transform.js";
import type { Tree } from "../tree.js";
import type { WrapperFusion } from "./fusion.js";
import { checkInner, type Wrapped } from "./inner.js";

/**
 * The hyperparameters that may change every step without rebuilding anything: those a declared
 * optimizer marks schedulable (its constructor's `schedulable`, from `optimizers/declaration.ts`),
 * or, for any other factory, the ones PyTorch schedulers drive.
 */
function liveNames(factory: unknown): ReadonlySet<string> {
  const declared = (factory as { schedulable?: unknown }).schedulable;
  if (Array.isArray(declared)) return new Set(declared as string[]);
  return new Set(["lr", "weightDecay", "momentum", "betas[0]"]);
}

/** State of `injectHyperparams`: the live values, saved with the wrapped state. */
export interface InjectState<S = unknown> extends Wrapped<S> {
  /** Updates applied so far. */
  count: number;
  /** The value of every numeric hyperparameter at the last update (or at init). */
  hyperparams: Record<string, number>;
  /** Hyperparameters set by hand; they no longer follow their schedule. */
  fixed: Record<string, boolean>;
}

type Options = Record<string, unknown>;

/**
 * `NoInfer<T>` (TypeScript 5.4) spelled so that the emitted declarations also load in TypeScript
 * 5.0: the options are checked against the factory's type instead of widening it.
 */
type NoInference<T> = [T][T extends unknown ? 0 : never];

/**
 * Makes an optimizer's numeric hyperparameters live (Optax's `inject_hyperparams`):
 * `createOptimizer(injectHyperparams(adamw, { lr: warmupCosineDecay(…), weightDecay: 0.05 }), params)`
 * gives `opt.hyperparams.lr` — the value the next update will use, for logging — and lets you set any
 * numeric hyperparameter mid-run (`opt.hyperparams.lr = 3e-4`). A set value is validated by the
 * optimizer's own checks, replaces its schedule from then on, and is saved in `stateDict()`.
 * Numeric options are the top-level numbers and the entries of `betas`; a schedule may be given
 * for the options the optimizer declares schedulable (lr, weightDecay, momentum, betas[0]…).
 */
export function injectHyperparams<O extends object>(
  factory: (options: O) => AnyTransformation,
  options: NoInference<O>,
): GradientTransformation<InjectState> {
  const owner = "injectHyperparams";
  if (typeof factory !== "function")
    throw new TypeError(`${owner}: expected an optimizer constructor such as adamw`);
  if (
    options !== undefined &&
    (options === null || typeof options !== "object" || Array.isArray(options) || ArrayBuffer.isView(options))
  ) {
    throw new TypeError(
      `${owner}: options must be an object (the constructor's options), got ${showValue(options)}`,
    );
  }
  const given = { ...(options as Options) };
  const schedulable = liveNames(factory);
  // name → where it lives in the options, and its original number or schedule
  const entries: { name: string; key: string; index?: number; value: number | ((c: number) => number) }[] =
    [];
  // Numbers anywhere at the top level (or in an array such as betas); functions only where a schedule
  // may stand — a `mask` function is not a hyperparameter.
  const wanted = (name: string, x: unknown) =>
    typeof x === "number" || (typeof x === "function" && schedulable.has(name));
  for (const [key, v] of Object.entries(given)) {
    if (wanted(key, v)) entries.push({ name: key, key, value: v as number });
    else if (Array.isArray(v)) {
      v.forEach((x, index) => {
        if (wanted(`${key}[${index}]`, x)) entries.push({ name: `${key}[${index}]`, key, index, value: x });
      });
    }
  }
  const withValues = (values: Record<string, unknown>): O => {
    const o: Options = { ...given };
    for (const e of entries) {
      if (e.index === undefined) o[e.key] = values[e.name];
      else {
        if (o[e.key] === given[e.key]) o[e.key] = [...(given[e.key] as unknown[])];
        (o[e.key] as unknown[])[e.index] = values[e.name];
      }
    }
    return o as O;
  };
  // A live entry reads the value in force from `current`, set just before each inner update; a live
  // entry that starts at a constant 0 stays 0 (so sgd without momentum keeps no momentum buffer).
  let current: Record<string, number> = {};
  const isLive = (e: (typeof entries)[number]) => schedulable.has(e.name) && e.value !== 0;
  // Keep a schedule's base (for decayWith: "multiplier"); a constant is its own base.
  const live = (e: (typeof entries)[number]) =>
    Object.assign(() => current[e.name]!, {
      base: typeof e.value === "number" ? e.value : (e.value as { base?: number }).base,
    });
  const liveValues = Object.fromEntries(entries.filter(isLive).map((e) => [e.name, live(e)]));
  const staticKey = (h: Record<string, number>) =>
    JSON.stringify(entries.filter((e) => !isLive(e)).map((e) => h[e.name]));
  const build = (h: Record<string, number>) =>
    factory(withValues({ ...Object.fromEntries(entries.map((e) => [e.name, h[e.name]!])), ...liveValues }));
  // validates the options as given (the constructor's own checks), and that it makes a transform
  checkInner(owner, factory({ ...given } as O));
  let cache: { key: string; tx: AnyTransformation } | undefined;
  const innerFor = (h: Record<string, number>) => {
    const key = staticKey(h);
    if (!cache || cache.key !== key) cache = { key, tx: build(h) };
    return cache.tx;
  };
  const inForce = (e: (typeof entries)[number], state: InjectState) =>
    state.fixed[e.name] || typeof e.value === "number"
      ? state.hyperparams[e.name]!
      : valueAt(owner, e.name, e.value, state.count, "(-inf, inf)");

  // The fused kernels' view of `update`: `inner` before the step (what `update` does before calling
  // the inner optimizer), `commit` after it (what `update` does after).
  let pending: Record<string, number> = {};
  const fusion: WrapperFusion = {
    kind: "inject-hyperparams",
    owner,
    inner(s) {
      const state = s as InjectState;
      const h: Record<string, number> = {};
      for (const e of entries) h[e.name] = inForce(e, state);
      const tx = innerFor(h);
      current = h;
      pending = h;
      return tx;
    },
    commit(s) {
      const state = s as InjectState;
      Object.assign(state.hyperparams, pending);
      state.count += 1;
    },
  };

  return {
    fusion,
    init(params: Tree) {
      const hyperparams: Record<string, number> = {};
      for (const e of entries) hyperparams[e.name] = typeof e.value === "number" ? e.value : e.value(0);
      const fixed = Object.fromEntries(entries.map((e) => [e.name, false]));
      return { count: 0, hyperparams, fixed, inner: innerFor(hyperparams).init(params) };
    },
    update(updates, state, params) {
      const h: Record<string, number> = {};
      for (const e of entries) h[e.name] = inForce(e, state);
      const tx = innerFor(h);
      current = h;
      const out = tx.update(updates, state.inner, params);
      Object.assign(state.hyperparams, h);
      state.count += 1;
      return out;
    },
    config(state) {
      // The values in force (a schedule's at the state's count, a hand-set one as set), over the
      // inner optimizer's other settings.
      const h = Object.fromEntries(entries.map((e) => [e.name, inForce(e, state)]));
      return { ...innerFor(h).config?.(state.inner), ...h };
    },
    buffers(state, params) {
      const h = Object.fromEntries(entries.map((e) => [e.name, inForce(e, state)]));
      return innerFor(h).buffers?.(state.inner, params) ?? {};
    },
    checkState(state) {
      const h: Record<string, number> = {};
      for (const e of entries) {
        const v = state.hyperparams[e.name];
        if (typeof v !== "number") throw new TypeError(`${owner}: the state has no value for ${e.name}`);
        h[e.name] = v;
      }
      for (const name of Object.keys(state.hyperparams)) {
        if (!(name in h))
          throw new TypeError(
            `${owner}: the state holds a value for ${name}, which this optimizer does not have`,
          );
      }
      factory(withValues(h)); // the optimizer's own checks: a saved value out of range is refused
      innerFor(h).checkState?.(state.inner);
    },
    hyperparams(state) {
      const view: Hyperparams = {};
      for (const e of entries) {
        Object.defineProperty(view, e.name, {
          enumerable: true,
          get: () => inForce(e, state),
          set: (v: unknown) => {
            if (schedulable.has(e.name) && e.value === 0 && v !== 0) {
              throw new RangeError(
                `${owner}: ${e.name} was 0 when the optimizer was built, so it keeps no state for it; build it with a non-zero ${e.name} (or a schedule) to change it later`,
              );
            }
            if (typeof v !== "number")
              throw new TypeError(`${owner}: ${e.name} must be a number, got ${showValue(v)}`);
            const h = Object.fromEntries(entries.map((x) => [x.name, inForce(x, state)]));
            h[e.name] = v;
            factory(withValues(h)); // the optimizer's own checks: a RangeError here changes nothing
            state.hyperparams[e.name] = v;
            state.fixed[e.name] = true;
          },
        });
      }
      return Object.seal(view);
    },
  };
}
