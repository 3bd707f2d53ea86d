import type { Schedule } from "../hyper.js";
import type { BaseSchedule } from "./base.js";
import { joined } from "./join.js";

/**
 * `SequentialLR`: schedule i runs from milestone i−1 on, its count restarting at 0 there (PyTorch
 * restarts each scheduler with `step(0)`). `milestones` has one entry fewer than `schedules`.
 */
export function sequentialLr(schedules: readonly Schedule[], milestones: readonly number[]): BaseSchedule {
  return joined("sequentialLr", "milestones", schedules, milestones);
}
