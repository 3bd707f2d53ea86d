/** Builds momenta schedules from the fixtures' JSON descriptions (names and options as in PyTorch, camelCased). */
import * as m from "momenta-optim";

/** The named lambdas of the fixture generator (tools/golden/README.md). */
export const LAMBDAS: Record<string, m.Schedule> = {
  exp095: (e) => 0.95 ** e,
  inverse: (e) => 1 / (1 + 0.1 * e),
  warmup10: (e) => Math.min(1, (e + 1) / 10),
  times099: () => 0.99,
  halveEvery50: (e) => (e % 50 === 0 ? 0.5 : 1),
  slowing: (e) => 1 - 0.5 / (e + 1),
};

export interface ScheduleSpec {
  schedule: string;
  options: Record<string, unknown>;
}

export function buildSchedule(spec: ScheduleSpec): {
  lr: m.Schedule;
  momentum?: m.Schedule;
  plateau?: m.PlateauScheduler;
} {
  const o = spec.options;
  switch (spec.schedule) {
    case "linearLr":
      return { lr: m.linearLr(o as never) };
    case "constantLr":
      return { lr: m.constantLr(o as never) };
    case "stepLr":
      return { lr: m.stepLr(o as never) };
    case "multiStepLr":
      return { lr: m.multiStepLr(o as never) };
    case "exponentialLr":
      return { lr: m.exponentialLr(o as never) };
    case "polynomialLr":
      return { lr: m.polynomialLr(o as never) };
    case "cosineAnnealingLr":
      return { lr: m.cosineAnnealingLr(o as never) };
    case "cosineAnnealingWarmRestarts":
      return { lr: m.cosineAnnealingWarmRestarts(o as never) };
    case "lambdaLr":
      return { lr: m.lambdaLr({ lr: o.lr as number, lrLambda: LAMBDAS[o.lrLambda as string]! }) };
    case "cyclicLr":
      return m.cyclicLr(o as never);
    case "oneCycleLr":
      return m.oneCycleLr(o as never);
    case "multiplicativeLr":
      return { lr: m.multiplicativeLr({ lr: o.lr as number, lrLambda: LAMBDAS[o.lrLambda as string]! }) };
    case "chainedScheduler":
      return { lr: m.chainedScheduler((o.schedules as ScheduleSpec[]).map((c) => buildSchedule(c).lr)) };
    case "swaLr":
      return { lr: m.swaLr(o as never) };
    case "sequentialLr": {
      const children = (o.schedules as ScheduleSpec[]).map((c) => buildSchedule(c).lr);
      return { lr: m.sequentialLr(children, o.milestones as number[]) };
    }
    case "reduceLrOnPlateau": {
      const plateau = m.reduceLrOnPlateau(o as never);
      return { lr: plateau.lr, plateau };
    }
    default:
      throw new Error(`unknown schedule ${spec.schedule}`);
  }
}
