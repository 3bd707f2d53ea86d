/**
 * Schedules against torch.optim.lr_scheduler, stepped once per update: the value update k uses.
 * PyTorch evaluates most schedules recursively and momenta in closed form; they agree to ~1e-15.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { maxRelError } from "./fixtures.ts";
import { buildSchedule, type ScheduleSpec } from "./schedules.ts";

interface Case extends ScheduleSpec {
  name: string;
  host: string;
  steps: number;
  lr: number[];
  momentum?: number[];
  metrics?: number[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/schedules.json", import.meta.url), "utf8")) as {
  torch: string;
  configs: Case[];
};
const bySchedule = new Map<string, Case[]>();
for (const c of fixture.configs) bySchedule.set(c.schedule, [...(bySchedule.get(c.schedule) ?? []), c]);

describe(`schedules match torch ${fixture.torch}`, () => {
  it("covers every PyTorch-equivalent schedule with ≥ 3 configurations", () => {
    for (const name of [
      "linearLr",
      "constantLr",
      "stepLr",
      "multiStepLr",
      "exponentialLr",
      "polynomialLr",
      "cosineAnnealingLr",
      "cosineAnnealingWarmRestarts",
      "lambdaLr",
      "cyclicLr",
      "oneCycleLr",
      "sequentialLr",
      "reduceLrOnPlateau",
      "multiplicativeLr",
      "chainedScheduler",
      "swaLr",
    ]) {
      expect(bySchedule.get(name)?.length ?? 0, name).toBeGreaterThanOrEqual(3);
    }
  });
  for (const [schedule, cases] of bySchedule) {
    for (const c of cases) {
      it(`${schedule} ${c.name}`, () => {
        const s = buildSchedule(c);
        const lr: number[] = [];
        const momentum: number[] = [];
        for (let k = 0; k < c.steps; k++) {
          lr.push(s.lr(k));
          if (s.momentum) momentum.push(s.momentum(k));
          if (s.plateau) s.plateau.step(c.metrics![k]!);
        }
        expect(maxRelError(lr, c.lr)).toBeLessThanOrEqual(1e-12);
        // the factors applied in PyTorch's order: every value to the last bit
        if (schedule === "multiplicativeLr") expect(lr).toEqual(c.lr);
        if (c.momentum) {
          expect(momentum.length).toBe(c.momentum.length);
          expect(maxRelError(momentum, c.momentum)).toBeLessThanOrEqual(1e-12);
        } else expect(s.momentum).toBeUndefined();
      });
    }
  }
});
