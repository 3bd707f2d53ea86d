/**
 * The race: one run per (racer, start point), each stepping the library's optimizer on the landscape
 * the way the Lab's `makeRunner` does (createOptimizer on params `{ p: [x, y] }`, the reference
 * kernel, the Lab's seeded gradient noise). Added here: a one-off gradient spike, a copy of each
 * gradient for the inspector, and for Muon a 1×2 matrix leaf (Muon orthogonalizes matrices; a plain
 * vector would go to its AdamW part).
 */

import { noisyGradient } from "@momenta/landscapes";
import { createOptimizer, type OptimizerHandle, type Tree } from "momenta-optim";
import { type BuiltRacer, buildRacer } from "./build.ts";
import type { Landscape } from "./landscapes.ts";
import { optimizerKind } from "./optimizers.ts";
import type { Setup } from "./setup.ts";

export type RunStatus = "running" | "done" | "diverged" | "error";

export interface Run {
  racer: number;
  start: number;
  built: BuiltRacer;
  /** Params the optimizer updates in place, and the optimizer itself (for the inspector). */
  optimizer: OptimizerHandle<unknown>;
  /** The trajectory: points 0..length−1, the start first. */
  xs: Float64Array;
  ys: Float64Array;
  fs: Float64Array;
  length: number;
  /** The gradient the last update was computed from (after noise and spike), for the inspector. */
  lastGrad: Float64Array;
  status: RunStatus;
  error?: string;
  step(): void;
}

/** Points this far outside the window count as diverged (and stop). */
const ESCAPE = 1e3;

/**
 * The landscape, except that the `at`-th gradient evaluation (1-based) is multiplied by `factor`:
 * the runner evaluates the gradient exactly once per update, so that is update `at`.
 */
function spiked(l: Landscape, at: number, factor: number): Landscape {
  if (at <= 0) return l;
  let calls = 0;
  return {
    ...l,
    gradient(x, y, out = new Float64Array(2)) {
      l.gradient(x, y, out);
      calls += 1;
      if (calls === at) {
        out[0]! *= factor;
        out[1]! *= factor;
      }
      return out;
    },
  };
}

/**
 * The Lab's `makeRunner` loop — createOptimizer (reference kernel) on params `{ p: [x, y] }`, fed the
 * landscape's gradient or the Lab's seeded `noisyGradient` — keeping a copy of each gradient for the
 * inspector (the optimizer may overwrite its gradient buffer), and, for Muon, `p` as a 1×2 matrix.
 */
function pointRunner(
  l: Landscape,
  built: BuiltRacer,
  start: [number, number],
  noise: Setup["noise"],
  matrix: boolean,
) {
  const data = new Float64Array(start);
  const params: Tree = { p: matrix ? { data, shape: [1, 2] } : data };
  const optimizer = createOptimizer(built.tx, params, { kernel: "reference" });
  const oracle =
    noise.sigma > 0
      ? noisyGradient(l, noise)
      : (x: number, y: number, out: Float64Array) => l.gradient(x, y, out);
  const grads = optimizer.grads as { p: Float64Array | { data: Float64Array } };
  const buffer = grads.p instanceof Float64Array ? grads.p : grads.p.data;
  const lastGrad = new Float64Array(2);
  return {
    optimizer,
    position: data,
    lastGrad,
    step() {
      if (built.tx.updateWithClosure) {
        // a closure optimizer (L-BFGS) evaluates wherever its line search goes; the inspector shows
        // the gradient at the step's start
        let first = true;
        optimizer.step(() => {
          oracle(data[0]!, data[1]!, buffer);
          if (first) lastGrad.set(buffer);
          first = false;
          return { loss: l.value(data[0]!, data[1]!), grads: grads as Tree };
        });
        return;
      }
      oracle(data[0]!, data[1]!, buffer);
      lastGrad.set(buffer);
      optimizer.step(grads as Tree);
    },
  };
}

function makeRun(landscape: Landscape, setup: Setup, racer: number, start: number): Run {
  const r = setup.racers[racer]!;
  const built = buildRacer(r, setup);
  const [x0, y0] = setup.starts[start]!;
  const xs = new Float64Array(setup.steps + 1);
  const ys = new Float64Array(setup.steps + 1);
  const fs = new Float64Array(setup.steps + 1);
  xs[0] = x0;
  ys[0] = y0;
  fs[0] = landscape.value(x0, y0);
  const l = spiked(landscape, setup.spike.at, setup.spike.factor);
  const runner = pointRunner(l, built, [x0, y0], setup.noise, optimizerKind(r.kind).matrix === true);
  const [bx0, bx1, by0, by1] = landscape.bounds;
  const span = Math.max(bx1 - bx0, by1 - by0);
  const run: Run = {
    racer,
    start,
    built,
    optimizer: runner.optimizer,
    xs,
    ys,
    fs,
    length: 1,
    lastGrad: runner.lastGrad,
    status: "running",
    step() {
      if (run.status !== "running") return;
      try {
        runner.step();
      } catch (e) {
        run.status = "error";
        run.error = (e as Error).message;
        return;
      }
      const x = runner.position[0]!;
      const y = runner.position[1]!;
      const i = run.length++;
      xs[i] = x;
      ys[i] = y;
      fs[i] = landscape.value(x, y);
      if (
        !Number.isFinite(x) ||
        !Number.isFinite(y) ||
        Math.abs(x) > ESCAPE * span ||
        Math.abs(y) > ESCAPE * span
      )
        run.status = "diverged";
      else if (run.length > setup.steps) run.status = "done";
    },
  };
  return run;
}

export interface Race {
  runs: Run[];
  /** Racers whose constructor refused the settings: index → message. */
  errors: Map<number, string>;
  /** Updates taken so far (by the runs still going). */
  step: number;
  finished: boolean;
  /** Advances every running run by up to `n` updates. */
  advance(n: number): void;
}

export function createRace(landscape: Landscape, setup: Setup): Race {
  const runs: Run[] = [];
  const errors = new Map<number, string>();
  setup.racers.forEach((_, i) => {
    setup.starts.forEach((_s, j) => {
      try {
        runs.push(makeRun(landscape, setup, i, j));
      } catch (e) {
        errors.set(i, (e as Error).message);
      }
    });
    if (setup.starts.length === 0) {
      try {
        buildRacer(setup.racers[i]!, setup);
      } catch (e) {
        errors.set(i, (e as Error).message);
      }
    }
  });
  const race: Race = {
    runs,
    errors,
    step: 0,
    finished: runs.length === 0,
    advance(n) {
      for (let k = 0; k < n && race.step < setup.steps; k++) {
        for (const run of runs) run.step();
        race.step += 1;
      }
      race.finished = race.step >= setup.steps || runs.every((r) => r.status !== "running");
    },
  };
  return race;
}
