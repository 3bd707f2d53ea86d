// @momenta/landscapes: 2-D loss landscapes with exact gradients and Hessians, for the Lab and the Playground.

export { LANDSCAPES, type LandscapeEntry, type LandscapeParam, landscapeById } from "./catalog.ts";
export type { Landscape } from "./landscape.ts";
export { ljTrimer } from "./lj-trimer.ts";
export { multiBasin } from "./multi-basin.ts";
export { newtonMinimum } from "./newton.ts";
export { type GradientOracle, type NoiseOptions, noisyGradient } from "./noise.ts";
export { type PlateauOptions, plateau } from "./plateau.ts";
export { type RavineOptions, ravine } from "./ravine.ts";
export { type RosenbrockOptions, rosenbrock } from "./rosenbrock.ts";
export { type SaddleOptions, saddle } from "./saddle.ts";
export { type SharpWideOptions, sharpWide } from "./sharp-wide.ts";
export {
  makeRunner,
  type PointParams,
  type Runner,
  type RunnerOptions,
  type Trajectory,
  type TrajectoryOptions,
  trajectory,
} from "./trajectory.ts";
export type { Well } from "./wells.ts";
