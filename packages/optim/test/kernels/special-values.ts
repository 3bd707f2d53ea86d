/**
 * What the NaN/±∞ and huge-gradient tests share: every fused kind with the flags its kernels branch
 * on, gradients with special values sprinkled in, a state flattened to its floats, and the
 * comparison with the reference: the same NaN/+∞/−∞/finite pattern, finite values within a bound.
 */
import * as m from "momenta-optim";
import { expect } from "vitest";
import { rng } from "../helpers.ts";

export type Make = () => m.GradientTransformation<unknown>;
const clip = (tx: m.GradientTransformation<unknown>) => m.chain(m.clipByGlobalNorm(1), tx);
export const FLT_MAX = 3.4028234663852886e38;

/** Every kind, with the flags its kernels branch on. */
export const CONFIGS: [string, Make][] = [
  ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1 })],
  ["adam amsgrad L2 maximize", () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true })],
  ["clip → adamw amsgrad", () => clip(m.adamw({ lr: 0.01, amsgrad: true }))],
  ["sgd", () => m.sgd({ lr: 0.05 })],
  ["sgd nesterov L2", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ["clip → sgdw momentum maximize", () => clip(m.sgdw({ lr: 0.05, momentum: 0.8, maximize: true }))],
  ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
  [
    "rmsprop centered momentum L2",
    () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 }),
  ],
  ["clip → rmsprop centered", () => clip(m.rmsprop({ lr: 0.01, centered: true }))],
  ["adagrad L2", () => m.adagrad({ lr: 0.1, weightDecay: 0.01 })],
  ["clip → adagrad maximize", () => clip(m.adagrad({ lr: 0.1, maximize: true }))],
  ["lion decoupled", () => m.lion({ lr: 0.01, weightDecay: 0.1 })],
  ["clip → lion maximize", () => clip(m.lion({ lr: 0.01, maximize: true }))],
  ["adamax L2 maximize", () => m.adamax({ lr: 0.01, weightDecay: 0.05, maximize: true })],
  ["nadam", () => m.nadam({ lr: 0.01 })],
  ["clip → nadam decoupled", () => clip(m.nadam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true }))],
  ["radam L2", () => m.radam({ lr: 0.01, weightDecay: 0.01 })],
  ["adadelta", () => m.adadelta({ lr: 1 })],
  ["clip → adadelta maximize", () => clip(m.adadelta({ lr: 1, maximize: true }))],
  ["scheduleFreeAdamw decay", () => m.scheduleFreeAdamw({ lr: 0.01, weightDecay: 0.1 })],
  [
    "clip → scheduleFreeAdamw decay at z maximize",
    () => clip(m.scheduleFreeAdamw({ lr: 0.01, weightDecay: 0.1, decayAtZ: true, maximize: true })),
  ],
];

/** The values sprinkled into the gradients: NaN, ±∞, then finite ones whose squares overflow float32. */
export const SPECIAL = [
  Number.NaN,
  Infinity,
  -Infinity,
  FLT_MAX,
  -FLT_MAX,
  3e38,
  -1e30,
  2e19,
  1e20,
  -5e20,
  6e20,
];
/** The indices into SPECIAL of the finite ones. */
export const HUGE = SPECIAL.map((_, k) => k).filter((k) => Number.isFinite(SPECIAL[k]!));

function tree(seed: number): m.Tree {
  const next = rng(seed);
  const arr = (n: number) => Float32Array.from({ length: n }, () => next() * 2 - 1);
  return { a: arr(61), b: arr(3), c: arr(36) };
}

/** Ordinary gradients with a few special values each step (those of SPECIAL indexed by `only`, or all). */
function fill(
  opt: m.OptimizerHandle<unknown>,
  params: m.Tree,
  t: number,
  next: () => number,
  only?: number[],
) {
  const ps = m.leavesOf(params);
  m.leavesOf(opt.grads).forEach((g, i) => {
    for (let j = 0; j < g.length; j++) {
      g[j] = ps[i]![j]! - 0.3 + 0.2 * (next() * 2 - 1);
      if ((j * 7 + t * 3 + i) % 13 === 0) {
        const k = (j + 5 * t + i) % SPECIAL.length;
        if (!only || only.includes(k)) g[j] = SPECIAL[k]!;
      }
    }
  });
}

/** Every float in the state, in order (typed arrays element by element; numbers such as counts and norms). */
export function floats(x: unknown, out: number[] = []): number[] {
  if (x instanceof Float32Array || x instanceof Float64Array) out.push(...x);
  else if (typeof x === "number") out.push(x);
  else if (Array.isArray(x)) for (const v of x) floats(v, out);
  else if (x !== null && typeof x === "object")
    for (const k of Object.keys(x).sort()) floats((x as never)[k], out);
  return out;
}

export function run(make: Make, kernel: m.KernelName, packed: boolean, only?: number[], steps = 12) {
  const params = packed ? m.packTree(tree(1)) : tree(1);
  const opt = m.createOptimizer(make(), params, { kernel });
  expect(opt.kernel).toBe(kernel);
  const next = rng(2);
  for (let t = 0; t < steps; t++) {
    fill(opt, params, t, next, only);
    opt.step(opt.grads);
  }
  return { params: m.leavesOf(params).flatMap((a) => Array.from(a)), state: floats(opt.state), opt };
}

const kindOf = (x: number) =>
  Number.isNaN(x) ? "NaN" : x === Infinity ? "+inf" : x === -Infinity ? "-inf" : "finite";

/** Same NaN/±∞ pattern, finite values within `bound`·max(1, |ref|); the first offence, if any. */
export function compare(got: number[], ref: number[], bound: number): string | undefined {
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const [a, b] = [got[i]!, ref[i]!];
    if (kindOf(a) !== kindOf(b)) return `[${i}]: ${a} where the reference has ${b}`;
    if (kindOf(b) === "finite" && Math.abs(a - b) > bound * Math.max(1, Math.abs(b)))
      return `[${i}]: ${a} vs ${b}`;
  }
  return undefined;
}
