/** What test/web/webgpu-standalone.test.ts and its page (./main.ts) share. */

import type { StateDict } from "momenta-optim";
import { rng } from "../gpu-recipes.ts";

export { RECIPES, rng } from "../gpu-recipes.ts";

/** Leaves of sizes that are multiples of 4 (vec4 lanes) and not, two of them over a norm workgroup's 2048. */
export const SHAPES: Record<string, number[]> = {
  "a/w": [6, 5],
  "a/b": [5],
  "a/k": [4, 3],
  "big/w": [64, 33],
  "big/v": [3, 701],
};
/** The names as the state dict lists them (sorted). */
export const NAMES = Object.keys(SHAPES).sort();
export const STEPS = 50;

export const sizeOf = (n: string) => SHAPES[n]!.reduce((a, b) => a * b, 1);

/** Float32 values, as plain numbers (exact: what a float32 buffer holds). */
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

/** The params before the first step. */
export function startValues(): Record<string, number[]> {
  const next = rng(7);
  return Object.fromEntries(
    NAMES.map((n) => [n, f32(Array.from({ length: sizeOf(n) }, () => 2 * next() - 1))]),
  );
}

/** The gradients of step `t` (from 0), the same in the page and in Node; step 7's are large (clipping bites). */
export function gradsAt(t: number): Record<string, number[]> {
  const next = rng(1000 + t);
  const scale = t === 7 ? 50 : 1;
  return Object.fromEntries(
    NAMES.map((n) => [n, f32(Array.from({ length: sizeOf(n) }, () => scale * (2 * next() - 1)))]),
  );
}

/** The params and state dict at one moment. */
export interface Snapshot {
  params: Record<string, number[]>;
  state: StateDict;
}

/** One step as the page saw it: params and state before, then after (the gradients are gradsAt(step)). */
export interface StepRecord {
  before: Snapshot;
  after: Snapshot;
}

export interface RunResult {
  steps: StepRecord[];
  /** The state dict before any step (the optimizer just made). */
  initial: StateDict;
}

/** A save after ROUND_TRIP_AT steps, loaded into a fresh optimizer; both run ROUND_TRIP_AT more. */
export const ROUND_TRIP_AT = 8;
export interface RoundTrip {
  /** The original's final params and state, and the fresh one's. */
  original: Snapshot;
  resumed: Snapshot;
  resumedStepCount: number;
}

/** One problem tried on an optimizer: what it threw, and whether params and state stayed the same. */
export interface Attempt {
  what: string;
  error: string | undefined;
  unchanged: boolean;
}

export interface BadInputs {
  attempts: Attempt[];
  stepCountAfter: number;
  /** A good step after all the refusals ran (the step count it reached). */
  stepCountAfterGoodStep: number;
}

export interface Growth {
  /** createBuffer / createBindGroup calls during the timed steps (after the warm ones). */
  buffers: number;
  bindGroups: number;
  pipelines: number;
  /** Buffers the optimizer created, and how many of them dispose destroyed. */
  created: number;
  destroyed: number;
}

/** What each refused construction threw. */
export type Refusals = Record<string, string>;

/** The same steps on params and gradients packed into one buffer each (at offsets) and on a buffer each. */
export interface Packed {
  packed: Snapshot;
  separate: Snapshot;
  /** The offsets used (bytes). */
  offsets: number[];
}

export interface StandaloneHook {
  /** `steps` steps of `recipe` both ways. */
  packed(recipe: string, steps: number): Promise<Packed>;
  run(recipe: string): Promise<RunResult>;
  roundTrip(recipe: string): Promise<RoundTrip>;
  /** Loads a core's snapshot (JSON: its params and state dict) and steps once with gradsAt(`t`). */
  fromCore(recipe: string, saved: string, t: number): Promise<Snapshot>;
  badInputs(): Promise<BadInputs>;
  growth(recipe: string): Promise<Growth>;
  refusals(): Promise<Refusals>;
}
