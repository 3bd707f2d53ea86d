/**
 * Learning-rate schedules attached to every racer: each is the library's own schedule, built around
 * the racer's lr (the peak, or the base a PyTorch scheduler reads from the optimizer).
 */
import {
  cosineAnnealingLr,
  cosineAnnealingWarmRestarts,
  cyclicLr,
  type Hyper,
  linearLr,
  oneCycleLr,
  warmupCosineDecay,
} from "momenta-optim";
import { fmt, num, type Spec, str, type Values } from "./spec.ts";

export interface ScheduleKind {
  id: string;
  name: string;
  fn: string;
  note: string;
  params: readonly Spec[];
  /** The schedule for base lr `lr` over a race of `steps` updates (a number: constant lr). */
  build(lr: number, p: Values, steps: number): Hyper;
  /** The call, as source text. */
  text(lr: number, p: Values, steps: number): string;
}

const steps = (key: string, label: string, d: number): Spec => ({
  key,
  label,
  type: "number",
  min: 1,
  max: 5000,
  default: d,
  step: 1,
  int: true,
});
const factor = (key: string, label: string, d: number): Spec => ({
  key,
  label,
  type: "number",
  min: 0,
  max: 1,
  default: d,
  step: 0.01,
});

export const SCHEDULES: readonly ScheduleKind[] = [
  {
    id: "none",
    name: "constant",
    fn: "",
    note: "The racers' lr, unchanged.",
    params: [],
    build: (lr) => lr,
    text: (lr) => fmt(lr),
  },
  {
    id: "warmup",
    name: "linear warmup",
    fn: "linearLr",
    note: "Ramps from startFactor·lr to lr: early steps, while the moments are young, stay small.",
    params: [factor("startFactor", "start factor", 0.1), steps("totalIters", "warmup steps", 50)],
    build: (lr, p) =>
      linearLr({ lr, startFactor: Math.max(num(p, "startFactor"), 1e-6), totalIters: num(p, "totalIters") }),
    text: (lr, p) =>
      `linearLr({ lr: ${fmt(lr)}, startFactor: ${fmt(Math.max(num(p, "startFactor"), 1e-6))}, totalIters: ${num(p, "totalIters")} })`,
  },
  {
    id: "cosine",
    name: "cosine",
    fn: "cosineAnnealingLr",
    note: "Half a cosine from lr down to etaMin over tMax steps.",
    params: [steps("tMax", "T_max", 200), factor("etaMin", "η_min / lr", 0)],
    build: (lr, p) => cosineAnnealingLr({ lr, tMax: num(p, "tMax"), etaMin: lr * num(p, "etaMin") }),
    text: (lr, p) =>
      `cosineAnnealingLr({ lr: ${fmt(lr)}, tMax: ${num(p, "tMax")}, etaMin: ${fmt(lr * num(p, "etaMin"))} })`,
  },
  {
    id: "warmupCosine",
    name: "warmup + cosine",
    fn: "warmupCosineDecay",
    note: "Linear warmup to the peak, then a cosine decay (Optax's warmup_cosine_decay_schedule).",
    params: [
      steps("warmupSteps", "warmup steps", 20),
      steps("decaySteps", "total steps", 200),
      factor("end", "end / lr", 0),
    ],
    build: (lr, p) =>
      warmupCosineDecay({
        init: 0,
        peak: lr,
        warmupSteps: Math.min(num(p, "warmupSteps"), num(p, "decaySteps")),
        decaySteps: num(p, "decaySteps"),
        end: lr * num(p, "end"),
      }),
    text: (lr, p) =>
      `warmupCosineDecay({ peak: ${fmt(lr)}, warmupSteps: ${Math.min(num(p, "warmupSteps"), num(p, "decaySteps"))}, decaySteps: ${num(p, "decaySteps")}, end: ${fmt(lr * num(p, "end"))} })`,
  },
  {
    id: "sgdr",
    name: "SGDR (warm restarts)",
    fn: "cosineAnnealingWarmRestarts",
    note: "Cosine cycles that restart at lr: each restart kicks the racer out of where it settled.",
    params: [
      steps("t0", "T_0", 50),
      { key: "tMult", label: "T_mult", type: "number", min: 1, max: 4, default: 1, step: 1, int: true },
      factor("etaMin", "η_min / lr", 0),
    ],
    build: (lr, p) =>
      cosineAnnealingWarmRestarts({
        lr,
        t0: num(p, "t0"),
        tMult: num(p, "tMult"),
        etaMin: lr * num(p, "etaMin"),
      }),
    text: (lr, p) =>
      `cosineAnnealingWarmRestarts({ lr: ${fmt(lr)}, t0: ${num(p, "t0")}, tMult: ${num(p, "tMult")}, etaMin: ${fmt(lr * num(p, "etaMin"))} })`,
  },
  {
    id: "cyclic",
    name: "cyclic",
    fn: "cyclicLr",
    note: "Triangles between baseLr and lr (PyTorch's CyclicLR; momentum left alone).",
    params: [
      factor("base", "base lr / lr", 0.1),
      steps("stepSizeUp", "half cycle", 25),
      {
        key: "mode",
        label: "mode",
        type: "choice",
        options: ["triangular", "triangular2"],
        default: "triangular",
      },
    ],
    build: (lr, p) =>
      cyclicLr({
        baseLr: lr * num(p, "base"),
        maxLr: lr,
        stepSizeUp: num(p, "stepSizeUp"),
        mode: str(p, "mode") === "triangular2" ? "triangular2" : "triangular",
        cycleMomentum: false,
      }).lr,
    text: (lr, p) =>
      `cyclicLr({ baseLr: ${fmt(lr * num(p, "base"))}, maxLr: ${fmt(lr)}, stepSizeUp: ${num(p, "stepSizeUp")}, mode: "${str(p, "mode")}", cycleMomentum: false }).lr`,
  },
  {
    id: "oneCycle",
    name: "one-cycle",
    fn: "oneCycleLr",
    note: "Up from lr/divFactor to lr, then far below, over the whole race.",
    params: [
      factor("pctStart", "rising fraction", 0.3),
      { key: "divFactor", label: "div factor", type: "number", min: 1, max: 1e4, default: 25, step: 1 },
      {
        key: "finalDivFactor",
        label: "final div factor",
        type: "number",
        min: 1,
        max: 1e6,
        default: 1e4,
        log: true,
      },
    ],
    build: (lr, p, total) =>
      oneCycleLr({
        maxLr: lr,
        totalSteps: total,
        pctStart: Math.min(Math.max(num(p, "pctStart"), 0.01), 0.99),
        divFactor: num(p, "divFactor"),
        finalDivFactor: num(p, "finalDivFactor"),
        cycleMomentum: false,
      }).lr,
    text: (lr, p, total) =>
      `oneCycleLr({ maxLr: ${fmt(lr)}, totalSteps: ${total}, pctStart: ${fmt(Math.min(Math.max(num(p, "pctStart"), 0.01), 0.99))}, divFactor: ${fmt(num(p, "divFactor"))}, finalDivFactor: ${fmt(num(p, "finalDivFactor"))}, cycleMomentum: false }).lr`,
  },
];

export function scheduleKind(id: string): ScheduleKind {
  const k = SCHEDULES.find((s) => s.id === id);
  if (!k) throw new RangeError(`unknown schedule ${JSON.stringify(id)}`);
  return k;
}
