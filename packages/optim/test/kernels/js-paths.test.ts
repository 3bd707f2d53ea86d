/**
 * The JS kernels' every path against the reference chains, bit for bit: on leaves long enough (and
 * steps many enough) that V8 runs the kernels' optimized code, in both dtypes interleaved (as a
 * process running both sees them), for each flag combination the kernels branch on — clip coefficient
 * with and without maximize, L2, decoupled decay, masks, AMSGrad, momentum (first step, dampening,
 * Nesterov), centered — and on gradients with signed zeros, subnormals and values whose squares
 * overflow float32.
 */
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import { randomArray, rng } from "../helpers.ts";

type Make = () => m.GradientTransformation<unknown>;
const clip = (tx: m.GradientTransformation<unknown>, maxNorm = 0.5) =>
  m.chain(m.clipByGlobalNorm(maxNorm), tx);

const CONFIGS: [string, Make][] = [
  ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1 })],
  ["adam", () => m.adam({ lr: 0.01 })],
  ["adam L2", () => m.adam({ lr: 0.01, weightDecay: 0.05 })],
  ["adam amsgrad", () => m.adam({ lr: 0.01, amsgrad: true })],
  ["adamw amsgrad maximize", () => m.adamw({ lr: 0.01, amsgrad: true, maximize: true, weightDecay: 0.1 })],
  ["clip → adam L2 maximize", () => clip(m.adam({ lr: 0.01, weightDecay: 0.05, maximize: true }))],
  [
    "clip → adamw amsgrad masked",
    () => clip(m.adamw({ lr: 0.01, amsgrad: true, mask: (p) => !p.includes("b") })),
  ],
  ["sgd maximize", () => m.sgd({ lr: 0.05, maximize: true })],
  ["sgd L2", () => m.sgd({ lr: 0.05, weightDecay: 0.01 })],
  ["sgd momentum", () => m.sgd({ lr: 0.05, momentum: 0.9 })],
  ["sgd nesterov L2", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  [
    "clip → sgd momentum dampening maximize",
    () => clip(m.sgd({ lr: 0.05, momentum: 0.8, dampening: 0.3, maximize: true })),
  ],
  ["sgdw nesterov", () => m.sgdw({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
  ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
  ["rmsprop centered", () => m.rmsprop({ lr: 0.01, centered: true })],
  [
    "rmsprop momentum L2 maximize",
    () => m.rmsprop({ lr: 0.01, momentum: 0.7, weightDecay: 0.01, maximize: true }),
  ],
  ["clip → rmsprop centered momentum", () => clip(m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }))],
  ["rmsprop L2", () => m.rmsprop({ lr: 0.01, weightDecay: 0.01 })],
  ["adagrad", () => m.adagrad({ lr: 0.1 })],
  ["adagrad L2", () => m.adagrad({ lr: 0.1, weightDecay: 0.01 })],
  ["clip → adagrad L2 maximize", () => clip(m.adagrad({ lr: 0.1, weightDecay: 0.01, maximize: true }))],
  ["lion", () => m.lion({ lr: 0.01 })],
  ["lion decoupled", () => m.lion({ lr: 0.01, weightDecay: 0.1 })],
  // A clip that only bites at the step with the 50× gradient: kernels switch between their paths.
  ["clip (one step) → adamw", () => clip(m.adamw({ lr: 0.01, weightDecay: 0.1 }), 100)],
  [
    "clip (one step) → sgd nesterov L2",
    () => clip(m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }), 100),
  ],
  ["clip (one step) → rmsprop", () => clip(m.rmsprop({ lr: 0.01 }), 100)],
  ["clip (one step) → adagrad", () => clip(m.adagrad({ lr: 0.1 }), 100)],
  ["clip (one step) → lion decoupled", () => clip(m.lion({ lr: 0.01, weightDecay: 0.1 }), 100)],
  [
    "clip → lion decoupled maximize masked",
    () => clip(m.lion({ lr: 0.01, weightDecay: 0.1, maximize: true, mask: (p) => p !== "b" })),
  ],
];

/** Long leaves of odd lengths, so a step runs thousands of iterations per kernel call. */
function tree(dtype: m.Dtype, seed: number): m.Tree {
  const next = rng(seed);
  const arr = (n: number) => randomArray(dtype, n, next);
  return { a: arr(2049), b: arr(3), c: arr(1531) };
}

/** Gradients near the params, with awkward values sprinkled in (signed zeros, subnormals, huge). */
function fill(
  opt: m.OptimizerHandle<unknown>,
  params: m.Tree,
  t: number,
  next: () => number,
  special: boolean,
) {
  const ps = m.leavesOf(params);
  m.leavesOf(opt.grads).forEach((g, i) => {
    for (let j = 0; j < g.length; j++) {
      g[j] = ps[i]![j]! - 0.3 + 0.2 * (next() * 2 - 1) * (t === 7 ? 50 : 1);
      if (special && j % 97 === t % 97) g[j] = [0, -0, 1e-41, -3e-39, 1e25, -2e20][(j + t) % 6]!;
    }
  });
}

function run(make: Make, dtype: m.Dtype, kernel: m.KernelName, packed: boolean, special: boolean) {
  const params = packed ? m.packTree(tree(dtype, 1)) : tree(dtype, 1);
  const opt = m.createOptimizer(make(), params, { kernel });
  const next = rng(2);
  for (let t = 0; t < 40; t++) {
    fill(opt, params, t, next, special);
    opt.step(opt.grads);
  }
  return { params: m.leavesOf(params).map((a) => Array.from(a)), state: opt.stateDict() };
}

describe("every JS kernel path is bit-identical to the reference chain (optimized code, both dtypes)", () => {
  for (const [name, make] of CONFIGS) {
    for (const special of [false, true]) {
      it(`${name}${special ? " (signed zeros, subnormals, overflow)" : ""}`, () => {
        for (const dtype of ["float32", "float64"] as const) {
          const ref = run(make, dtype, "reference", false, special);
          for (const packed of [false, true]) {
            const js = run(make, dtype, "js", packed, special);
            expect(js.params, `${dtype} packed=${packed}`).toEqual(ref.params);
            expect(js.state, `${dtype} packed=${packed}`).toEqual(ref.state);
          }
        }
      });
    }
  }
});
