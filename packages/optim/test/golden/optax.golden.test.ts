/**
 * The optimizers PyTorch lacks, against Optax (tools/golden/optax_golden.py: Optax's own transforms on
 * the torch fixtures' problem, eager JAX on CPU), and FTRL against Keras 3 on its JAX backend. float64 trajectories to 1e-12 over 200 steps (they
 * agree to ≤ 6e-16; ≤ 5e-14 for prodigy and dadaptAdamw, whose D estimate sums over all leaves in
 * another order than XLA's); float32 ones to 2e-5 (≤ 6.1e-6 measured: Optax rounds every op to
 * float32, momenta what it stores; the golden rule allows 2e-3).
 */
import { readFileSync } from "node:fs";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { loadProblem, makeArray, replayTrajectory } from "./fixtures.ts";

const problem = loadProblem();
/** Fixture files by optimizer: Optax's, and Keras's for FTRL (Optax has none). */
const FILES: [string, string][] = [
  ...["yogi", "adabelief", "adan", "adopt", "ademamix", "lars", "prodigy", "dadaptAdamw"].map(
    (n): [string, string] => [n, `optax-${n}.json`],
  ),
  ["ftrl", "keras-ftrl.json"],
];

interface Fixture {
  optimizer: string;
  optax?: string;
  keras?: string;
  jax: string;
  configs: { name: string; dtype: m.Dtype; options: Record<string, unknown>; trajectory: string }[];
}

for (const [name, file] of FILES) {
  const fixture = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")) as Fixture;
  const reference = fixture.optax ? `optax ${fixture.optax}` : `keras ${fixture.keras}`;
  describe(`${name} matches ${reference} (jax ${fixture.jax})`, () => {
    it("has ≥ 3 configurations, each in float64 and float32", () => {
      expect(fixture.configs.length).toBeGreaterThanOrEqual(6);
    });
    for (const c of fixture.configs) {
      it(`${c.name} (${c.dtype})`, () => {
        const make = (m as unknown as Record<string, (o: object) => m.GradientTransformation<unknown>>)[
          name
        ]!;
        const trajectory = m.base64ToFloats(c.trajectory, c.dtype);
        expect(trajectory.length).toBe((problem.steps + 1) * problem.n);
        const err = replayTrajectory(problem, c.dtype, make(c.options), trajectory);
        expect(err).toBeLessThanOrEqual(c.dtype === "float64" ? 1e-12 : 2e-5);
        // the reference does move the params: a test of something
        const start = makeArray(c.dtype, problem.init);
        expect(Math.abs(trajectory[problem.steps * problem.n]! - start[0]!)).toBeGreaterThan(1e-3);
      });
    }
  });
}
