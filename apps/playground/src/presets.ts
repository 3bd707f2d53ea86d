/** The seed stories, staged: each preset is a whole setup and a caption saying what to watch. */
import { makeLandscape } from "./landscapes.ts";
import { racer, type Setup } from "./setup.ts";

export interface Preset {
  id: string;
  name: string;
  caption: string;
  setup: Setup;
}

/** A setup on `landscape`, started at `start` or else at the landscape's own start. */
const base = (landscape: string, params: Record<string, number>, start?: [number, number]): Setup => ({
  v: 1,
  landscape: { id: landscape, params },
  starts: [start ?? ([...makeLandscape(landscape, params).start] as [number, number])],
  racers: [],
  schedule: { kind: "none", params: {} },
  noise: { sigma: 0, seed: 1 },
  spike: { at: 0, factor: 1000 },
  steps: 300,
  speed: 60,
  selected: { racer: 0, start: 0 },
});

export const PRESETS: readonly Preset[] = [
  {
    id: "ravine",
    name: "A ball through a ravine",
    caption:
      "A long, narrow, tilted valley. Gradient descent bounces between the steep walls and crawls along the nearly " +
      "flat floor. Momentum is a heavy ball: its velocity cancels across the ravine and builds along it. Adam's " +
      "per-coordinate brake would straighten a ravine lined up with the axes, but this one is rotated.",
    setup: {
      ...base("ravine", { condition: 200, angle: 0.5 }),
      racers: [
        racer("sgd", { lr: 1.8 }),
        racer("momentum", { lr: 0.3, momentum: 0.9 }),
        racer("adam", { lr: 0.1 }),
      ],
      steps: 300,
      preset: "ravine",
    },
  },
  {
    id: "saddle",
    name: "Escaping a saddle",
    caption:
      "A hiker in fog on a mountain pass: the ground is almost level along the way down. Started a hair off the " +
      "ridge, gradient descent slides to the saddle and lingers, since the escape direction's slope is tiny. " +
      "Momentum gathers speed; Adam divides the tiny slope by its own size and walks off at once.",
    setup: {
      ...base("saddle", {}, [1, 1e-3]),
      racers: [
        racer("sgd", { lr: 0.05 }),
        racer("momentum", { lr: 0.05, momentum: 0.9 }),
        racer("adam", { lr: 0.05 }),
      ],
      steps: 300,
      preset: "saddle",
    },
  },
  {
    id: "plateau",
    name: "Crossing a plateau",
    caption:
      "A wide shelf sloping by only 0.001 towards a basin. Gradient descent moves lr × 0.001 per step and barely " +
      "leaves the start; momentum multiplies that by 1/(1 − β) = 10; Adam, which divides by the gradient's own " +
      "size, crosses at about lr per step whatever the slope.",
    setup: {
      ...base("plateau", {}, [-7, 3]),
      racers: [
        racer("sgd", { lr: 1 }),
        racer("momentum", { lr: 1, momentum: 0.9 }),
        racer("adam", { lr: 0.05 }),
      ],
      steps: 400,
      speed: 80,
      preset: "plateau",
    },
  },
  {
    id: "v-scar",
    name: "The v scar: one huge gradient",
    caption:
      "The plateau again, with one gradient 1000× too large at update 40. Adam's v remembers it for ~1/(1 − β2) = " +
      "1000 steps: √v̂ stays huge and the racer stalls (select it and watch v̂). Clipping before the optimizer cuts " +
      "the spike before the moments see it; clipping after only bounds the step — the scar is already in v.",
    setup: {
      ...base("plateau", {}, [-7, 3]),
      racers: [
        racer("adam", { lr: 0.05 }),
        racer("adam", { lr: 0.05 }, { mode: "before", kind: "norm", threshold: 0.002 }),
        racer("adam", { lr: 0.05 }, { mode: "after", kind: "norm", threshold: 0.1 }),
      ],
      spike: { at: 40, factor: 1000 },
      steps: 400,
      speed: 80,
      preset: "v-scar",
    },
  },
  {
    id: "silent",
    name: "Adam + L2 vs AdamW on a silent weight",
    caption:
      "The loss depends on x only: y is a silent weight the data never pushes, so only weight decay moves it. " +
      "With L2, the decay λy is the whole gradient of y, Adam's brake divides it by its own size, and y collapses " +
      "at a full lr per step while the loud x hardly decays. AdamW shrinks both by the same fraction lr·λ per step.",
    setup: {
      ...base("silent", {}, [3, 3]),
      racers: [
        racer("adamL2", { lr: 0.05, weightDecay: 0.1 }),
        racer("adamw", { lr: 0.05, weightDecay: 0.1 }),
      ],
      steps: 300,
      preset: "silent",
    },
  },
  {
    id: "restarts",
    name: "Warm restarts between basins",
    caption:
      "Five basins, starting in the shallow central one. Under a cosine schedule that restarts every 60 updates " +
      "(SGDR, see the lr curve), gradient descent at lr 3 settles while the lr is small, and each restart is a " +
      "kick that can throw it out of its basin into another. At lr 1 the same schedule never leaves.",
    setup: {
      ...base("multi-basin", {}),
      racers: [racer("sgd", { lr: 1 }), racer("sgd", { lr: 3 })],
      schedule: { kind: "sgdr", params: { t0: 60, tMult: 1, etaMin: 0 } },
      steps: 300,
      preset: "restarts",
    },
  },
];

export function presetById(id: string | undefined): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
