/**
 * sam against the PyTorch SAM most people use (davda54/sam's sam.py, run by
 * tools/golden/sam_golden.py on the torch fixtures' problem, the same noise for both gradients of a
 * step) — plain and adaptive (ASAM), around SGD with momentum, Adam and AdamW — and against Optax's
 * `contrib.sam` (tools/golden/optax_golden.py: a normalized-SGD adversary, sync_period 2, two Optax
 * updates per step). float64 trajectories to 1e-10 over 200 steps; float32 to 2e-3.
 */
import { readFileSync } from "node:fs";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { gradient, loadProblem, makeArray, makeParams, maxRelError } from "./fixtures.ts";

const problem = loadProblem();
interface Fixture {
  torch?: string;
  optax?: string;
  configs: {
    name: string;
    dtype: m.Dtype;
    options: m.SamOptions;
    optimizer: "sgd" | "adam" | "adamw";
    optimizerOptions: Record<string, unknown>;
    trajectory: string;
  }[];
}
const read = (file: string) =>
  JSON.parse(readFileSync(new URL(`fixtures/${file}`, import.meta.url), "utf8")) as Fixture;

/** Replays a fixture: each step's closure takes the gradient at the params as they stand, with step t's noise. */
function replay(c: Fixture["configs"][number]): number {
  const { n, steps } = problem;
  const flat = makeArray(c.dtype, problem.init);
  const params = makeParams(problem, flat);
  const make = { sgd: m.sgd, adam: m.adam, adamw: m.adamw }[c.optimizer] as (
    o: object,
  ) => m.AnyTransformation;
  const opt = m.createOptimizer(m.sam(make(c.optimizerOptions), c.options), params, { kernel: "reference" });
  const g = makeArray(c.dtype, new Float64Array(n));
  const grads = makeParams(problem, g);
  const expected = m.base64ToFloats(c.trajectory, c.dtype);
  let err = 0;
  for (let t = 0; t < steps; t++) {
    let evaluations = 0;
    opt.step(() => {
      evaluations += 1;
      gradient(problem, c.dtype, flat, t, g);
      return { loss: 0, grads };
    });
    expect(evaluations).toBe(2);
    err = Math.max(err, maxRelError(flat, expected.subarray((t + 1) * n, (t + 2) * n)));
  }
  return err;
}

for (const [file, reference] of [
  ["sam.json", "davda54/sam (PyTorch)"],
  ["optax-sam.json", "optax.contrib.sam"],
] as const) {
  describe(`sam matches ${reference}`, () => {
    const fixture = read(file);
    for (const c of fixture.configs) {
      it(`${c.name} (${c.dtype})`, () => {
        const err = replay(c);
        if (process.env.MOMENTA_GOLDEN_REPORT)
          console.log(`${file} ${c.name} ${c.dtype} ${err.toExponential(1)}`);
        expect(err).toBeLessThanOrEqual(c.dtype === "float64" ? 1e-10 : 2e-3);
      });
    }
  });
}
