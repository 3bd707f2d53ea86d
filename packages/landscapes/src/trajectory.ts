import type { GradientTransformation } from "momenta-optim";
import { type CreateOptimizerOptions, createOptimizer, type OptimizerHandle } from "momenta-optim";
import type { Landscape } from "./landscape.ts";
import { type GradientOracle, type NoiseOptions, noisyGradient } from "./noise.ts";

export interface RunnerOptions {
  start: readonly [number, number];
  /** Gaussian gradient noise (see `noisyGradient`); exact gradients when omitted. */
  noise?: NoiseOptions;
  /** The kernel `createOptimizer` uses; "reference" by default, so runs are exact and any chain works. */
  kernel?: CreateOptimizerOptions["kernel"];
}

export interface TrajectoryOptions extends RunnerOptions {
  /** Optimizer steps to take (an integer ≥ 0). */
  steps: number;
}

/**
 * The params an optimizer sees on a 2-D landscape: one leaf holding (x, y). A type alias, not an
 * interface, so that it is assignable to `Tree`'s index signature.
 */
export type PointParams = { p: Float64Array };

export interface Runner<S> {
  /** The optimizer, to read its state (`optimizer.state`, `stepCount`, `hyperparams`) between steps. */
  readonly optimizer: OptimizerHandle<S>;
  readonly params: PointParams;
  /** The current point and its value. */
  readonly current: [number, number, number];
  /** One optimizer step from the gradient at the current point; returns the new point and value. */
  step(): [number, number, number];
}

export interface Trajectory {
  xs: Float64Array;
  ys: Float64Array;
  values: Float64Array;
}

function checkStart(owner: string, start: unknown): [number, number] {
  if (
    !Array.isArray(start) ||
    start.length !== 2 ||
    !start.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    throw new RangeError(`${owner}: start must be two finite numbers [x, y], got ${JSON.stringify(start)}`);
  }
  return [start[0], start[1]];
}

/**
 * Step by step: binds `tx` to params `{ p: [x, y] }` with `createOptimizer` and feeds it the
 * landscape's (optionally noisy) gradient — through a closure for closure transforms, which may ask
 * for several per step — so a UI can draw each step and inspect the state.
 * Non-finite points are not screened: a diverging optimizer shows as NaN or ∞, as it would in training.
 */
export function makeRunner<S>(
  landscape: Landscape,
  tx: GradientTransformation<S>,
  options: RunnerOptions,
): Runner<S> {
  const [x0, y0] = checkStart("makeRunner", options.start);
  const params: PointParams = { p: new Float64Array([x0, y0]) };
  const optimizer = createOptimizer(tx, params, { kernel: options.kernel ?? "reference" });
  const oracle: GradientOracle = options.noise
    ? noisyGradient(landscape, options.noise)
    : (x, y, out) => landscape.gradient(x, y, out);
  // The optimizer's own gradient buffer: writing into it spares `step` a copy.
  const grads = optimizer.grads as unknown as PointParams;
  const p = params.p;
  return {
    optimizer,
    params,
    get current(): [number, number, number] {
      return [p[0]!, p[1]!, landscape.value(p[0]!, p[1]!)];
    },
    step() {
      if (tx.updateWithClosure) {
        // a closure transform (L-BFGS, SAM) evaluates the gradient wherever it puts the point
        optimizer.step(() => {
          oracle(p[0]!, p[1]!, grads.p);
          return { loss: landscape.value(p[0]!, p[1]!), grads };
        });
      } else {
        oracle(p[0]!, p[1]!, grads.p);
        optimizer.step(grads);
      }
      return [p[0]!, p[1]!, landscape.value(p[0]!, p[1]!)];
    },
  };
}

/** Runs `steps` optimizer steps from `start`; the arrays hold steps + 1 points, the start first. */
export function trajectory<S>(
  landscape: Landscape,
  tx: GradientTransformation<S>,
  options: TrajectoryOptions,
): Trajectory {
  const { steps } = options;
  if (!Number.isSafeInteger(steps) || steps < 0) {
    throw new RangeError(`trajectory: steps must be an integer ≥ 0, got ${String(steps)}`);
  }
  const [x0, y0] = checkStart("trajectory", options.start);
  const runner = makeRunner(landscape, tx, { ...options, start: [x0, y0] });
  const xs = new Float64Array(steps + 1);
  const ys = new Float64Array(steps + 1);
  const values = new Float64Array(steps + 1);
  xs[0] = x0;
  ys[0] = y0;
  values[0] = landscape.value(x0, y0);
  for (let i = 1; i <= steps; i++) {
    const [x, y, v] = runner.step();
    xs[i] = x;
    ys[i] = y;
    values[i] = v;
  }
  return { xs, ys, values };
}
