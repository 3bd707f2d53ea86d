/**
 * SOAP against the authors' own code (tools/golden/soap_golden.py: nikhilvyas/SOAP's soap.py under
 * Debian's PyTorch on the shared problem, its 2-D leaves preconditioned). float64 trajectories to
 * 1e-12 (≤ 6.8e-15 measured; the reference runs in float64 once its float32 casts are removed),
 * float32 ones to 2e-5 (≤ 7.2e-6; torch's eigh and QR run in float32 there, momenta's in float64).
 * Eigenvectors are unique up to sign, and SOAP's update does not depend on the sign; where a basis
 * is not unique at all (a rank-one G of a 1-D leaf with precondition1d) the runs differ, so those
 * options are tested in optimizers/soap.test.ts instead.
 */
import { readFileSync } from "node:fs";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { loadProblem, makeArray, replayTrajectory } from "./fixtures.ts";

const problem = loadProblem();
const fixture = JSON.parse(readFileSync(new URL("./fixtures/soap.json", import.meta.url), "utf8")) as {
  reference: string;
  torch: string;
  configs: { name: string; dtype: m.Dtype; options: Record<string, unknown>; trajectory: string }[];
};

describe(`soap matches ${fixture.reference} (torch ${fixture.torch})`, () => {
  it("has ≥ 3 configurations, each in float64 and float32", () => {
    expect(fixture.configs.length).toBeGreaterThanOrEqual(6);
  });
  for (const c of fixture.configs) {
    it(`${c.name} (${c.dtype})`, () => {
      const trajectory = m.base64ToFloats(c.trajectory, c.dtype);
      expect(trajectory.length).toBe((problem.steps + 1) * problem.n);
      const err = replayTrajectory(problem, c.dtype, m.soap(c.options as never), trajectory);
      expect(err).toBeLessThanOrEqual(c.dtype === "float64" ? 1e-12 : 2e-5);
      const start = makeArray(c.dtype, problem.init);
      expect(Math.abs(trajectory[problem.steps * problem.n]! - start[0]!)).toBeGreaterThan(1e-3);
    });
  }
});
