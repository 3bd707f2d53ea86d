/**
 * Whole training runs with schedules (cycled β1 and momentum included) and clipping, against
 * torch.optim + lr_scheduler + clip_grad_norm_: float64 to 1e-10 at every step, float32 to 2e-3.
 */
import { readFileSync } from "node:fs";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { loadProblem, replayTrajectory } from "./fixtures.ts";
import { buildSchedule, type ScheduleSpec } from "./schedules.ts";

interface Case {
  name: string;
  dtype: m.Dtype;
  optimizer: "adam" | "adamw" | "sgd";
  options: Record<string, unknown>;
  schedule: ScheduleSpec | null;
  clip?: { maxNorm: number; normType: number };
  trajectory: string;
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/scheduled.json", import.meta.url), "utf8")) as {
  torch: string;
  configs: Case[];
};
const problem = loadProblem();

function build(c: Case): m.GradientTransformation<unknown> {
  const options: Record<string, unknown> = { ...c.options };
  if (c.schedule) {
    const s = buildSchedule(c.schedule);
    options.lr = s.lr;
    if (s.momentum) {
      if (c.optimizer === "sgd") options.momentum = s.momentum;
      else options.betas = [s.momentum, 0.999];
    }
  }
  const make: Record<Case["optimizer"], (o: never) => m.Optimizer> = {
    adam: m.adam,
    adamw: m.adamw,
    sgd: m.sgd,
  };
  const opt = make[c.optimizer](options as never);
  return c.clip ? m.chain(m.clipByGlobalNorm(c.clip.maxNorm, { normType: c.clip.normType }), opt) : opt;
}

describe(`scheduled training matches torch ${fixture.torch}`, () => {
  for (const c of fixture.configs) {
    it(`${c.name} (${c.dtype})`, () => {
      const err = replayTrajectory(problem, c.dtype, build(c), m.base64ToFloats(c.trajectory, c.dtype));
      expect(err).toBeLessThanOrEqual(c.dtype === "float64" ? 1e-10 : 2e-3);
      if (process.env.MOMENTA_GOLDEN_REPORT)
        console.log(`${c.name} ${c.dtype}: worst ${err.toExponential(1)}`);
    });
  }
});
