import { checkBoolean, checkNumber, checkOptions } from "../hyper.js";
import type { AnyTransformation, ClosureUpdate, GradientTransformation } from "../transform.js";
import { leavesOf, type Tree } from "../tree.js";
import { checkInner, innerHyperparams, type Wrapped } from "./inner.js";

/** Options of `sam`. */
export interface SamOptions {
  /** The neighbourhood's radius ρ ≥ 0: how far the second gradient is taken from the params. Default 0.05. */
  rho?: number;
  /** ASAM's adaptive radius (Kwon et al. 2021): scale the ascent by |p| per coordinate. Default false. */
  adaptive?: boolean;
}

/** State of `sam`: its update count, beside the wrapped state. */
export interface SamState<S = unknown> extends Wrapped<S> {
  /** Updates so far. */
  count: number;
}

/**
 * Sharpness-aware minimization (Foret et al. 2021, "Sharpness-Aware Minimization for Efficiently
 * Improving Generalization"; adaptive: ASAM, Kwon et al. 2021): the wrapped optimizer steps from
 * the params with the gradient taken at the worst point nearby, w + ε with
 * ε = ρ·g / ‖g‖ (adaptive: ε = ρ·p²·g / ‖|p|·g‖), g the gradient at w — so it is drawn to minima
 * that stay low across a neighbourhood (flat ones). As the widely used PyTorch `SAM` (davda54/sam)
 * computes it: the norm over leaves of each leaf's norm, plus 1e-12; two evaluations per step, so
 * step it with a closure (`opt.step(() => ({ loss, grads }))`); it writes w + ε into the params for
 * the second and puts w back. Equals Optax's `contrib.sam` with a normalized-SGD adversary and
 * `sync_period` 2, in one update. Defaults: rho 0.05, adaptive false.
 */
export function sam<S>(
  tx: GradientTransformation<S>,
  options: SamOptions = {},
): GradientTransformation<SamState<S>> {
  const owner = "sam";
  const inner = checkInner(owner, tx) as GradientTransformation<S>;
  checkOptions(owner, options, ["rho", "adaptive"]);
  const rho = checkNumber(owner, "rho", options.rho ?? 0.05, "[0, inf)");
  const adaptive = checkBoolean(owner, "adaptive", options.adaptive ?? false);
  const base = innerHyperparams<SamState<S>>(inner as AnyTransformation);
  return {
    ...base,
    config: (state) => ({ ...base.config!(state), rho, adaptive }),
    init: (params) => ({ count: 0, inner: inner.init(params) }),
    update() {
      throw new TypeError(
        `${owner}: SAM takes a second gradient at a nearby point: step it with a closure, opt.step(() => ({ loss, grads }))`,
      );
    },
    *updateWithClosure(updates: Tree, state, params: Tree): ClosureUpdate {
      const ps = leavesOf(params);
      const gs = leavesOf(updates);
      // ‖(|p|)·g‖: the norm of the leaves' norms, as the reference takes it
      let squares = 0;
      for (let i = 0; i < gs.length; i++) {
        const p = ps[i]!;
        const g = gs[i]!;
        let s = 0;
        for (let j = 0; j < g.length; j++) {
          const v = adaptive ? Math.abs(p[j]!) * g[j]! : g[j]!;
          s += v * v;
        }
        const n = Math.sqrt(s);
        squares += n * n;
      }
      const scale = rho / (Math.sqrt(squares) + 1e-12);
      const w = ps.map((p) => p.slice());
      for (let i = 0; i < ps.length; i++) {
        const p = ps[i]!;
        const g = gs[i]!;
        for (let j = 0; j < p.length; j++) p[j] = p[j]! + (adaptive ? p[j]! * p[j]! * g[j]! : g[j]!) * scale;
      }
      const sharp = yield; // the gradient at w + ε
      ps.forEach((p, i) => {
        p.set(w[i]!);
      });
      const gs2 = leavesOf(sharp.grads);
      gs.forEach((g, i) => {
        g.set(gs2[i]!);
      });
      const out = inner.update(updates, state.inner, params);
      state.count += 1;
      return out;
    },
  };
}
