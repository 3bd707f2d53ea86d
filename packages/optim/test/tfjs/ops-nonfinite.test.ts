/**
 * The TF.js ops path (each kind's ops in tfjs/kinds.ts) with NaN, ±∞ and huge gradients against the
 * reference chain: the same NaN/+∞/−∞/finite pattern in the params and in every state buffer, the
 * finite values to float32 rounding (cpu backend). Huge finite gradients are left out behind a clip:
 * TF.js sums the clip's squares in float32, which overflows from |g| ≈ 1.8e19 where the core's
 * float64 sum does not.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as m from "momenta-optim";
import { base64ToFloats } from "momenta-optim";
import { stateFromWords, tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { rng } from "../helpers.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

type Make = () => m.GradientTransformation<unknown>;
const clip = (tx: m.GradientTransformation<unknown>) => m.chain(m.clipByGlobalNorm(1), tx);
const FLT_MAX = 3.4028234663852886e38;
const NONFINITE = [Number.NaN, Infinity, -Infinity];
const HUGE = [FLT_MAX, -FLT_MAX, 3e38, -1e30, 2e19, 1e20, -1.5e20];

const CONFIGS: [string, Make][] = [
  ["adamw", () => m.adamw({ lr: 0.01, weightDecay: 0.1 })],
  ["adam amsgrad L2 maximize", () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true })],
  ["clip → adamw amsgrad", () => clip(m.adamw({ lr: 0.01, amsgrad: true }))],
  ["sgd nesterov L2", () => m.sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ["clip → sgdw momentum maximize", () => clip(m.sgdw({ lr: 0.05, momentum: 0.8, maximize: true }))],
  ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
  [
    "rmsprop centered momentum L2",
    () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 }),
  ],
  ["adagrad L2", () => m.adagrad({ lr: 0.1, weightDecay: 0.01 })],
  ["clip → adagrad maximize", () => clip(m.adagrad({ lr: 0.1, maximize: true }))],
  ["lion decoupled", () => m.lion({ lr: 0.01, weightDecay: 0.1 })],
  ["clip → lion maximize", () => clip(m.lion({ lr: 0.01, maximize: true }))],
  ["adamax L2", () => m.adamax({ lr: 0.01, weightDecay: 0.05 })],
  ["nadam decoupled", () => m.nadam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true })],
  ["radam", () => m.radam({ lr: 0.01 })],
  ["adadelta", () => m.adadelta({ lr: 1 })],
];

const N = 100;
const STEPS = 10;
let tags = 0;

function start(): Float32Array {
  const next = rng(1);
  return Float32Array.from({ length: N }, () => next() * 2 - 1);
}

/** Step t's gradient from the current params: ordinary values, with `special` ones sprinkled in. */
function gradient(p: Float32Array, t: number, next: () => number, special: number[]): Float32Array {
  return Float32Array.from(p, (x, j) =>
    (j * 7 + t * 3) % 13 === 0 ? special[(j + 5 * t) % special.length]! : x - 0.3 + 0.2 * (next() * 2 - 1),
  );
}

/** Every float of an encoded state, in order (counts and norms too). */
function floats(x: unknown, out: number[] = []): number[] {
  if (typeof x === "number") out.push(x);
  else if (Array.isArray(x)) for (const v of x) floats(v, out);
  else if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    if (typeof o.$f32 === "string") out.push(...base64ToFloats(o.$f32, "float32"));
    else for (const k of Object.keys(o).sort()) floats(o[k], out);
  }
  return out;
}

function reference(make: Make, special: number[]) {
  const params = { w: start() };
  const opt = m.createOptimizer(make(), params, { kernel: "reference" });
  const next = rng(2);
  for (let t = 0; t < STEPS; t++) opt.step({ w: gradient(params.w, t, next, special) });
  return { params: Array.from(params.w), state: floats(opt.stateDict().state) };
}

async function ops(make: Make, special: number[]) {
  const v = tf.variable(tf.tensor1d(start()), true, `nf${tags++}/w`);
  const opt = tfjsOptimizer(make(), { path: "ops" });
  const next = rng(2);
  for (let t = 0; t < STEPS; t++) {
    const g = tf.tensor1d(gradient(v.dataSync() as Float32Array, t, next, special));
    opt.applyGradients({ [v.name]: g });
    g.dispose();
  }
  const words = await (await opt.getWeights()).find((x) => x.name.endsWith("/state"))!.tensor.data();
  const out = {
    params: Array.from(v.dataSync()),
    state: floats(stateFromWords(words)!.state),
    path: opt.path,
  };
  opt.dispose();
  v.dispose();
  return out;
}

const kindOf = (x: number) =>
  Number.isNaN(x) ? "NaN" : x === Infinity ? "+inf" : x === -Infinity ? "-inf" : "finite";

function compare(got: number[], ref: number[], bound: number): string | undefined {
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const [a, b] = [got[i]!, ref[i]!];
    if (kindOf(a) !== kindOf(b)) return `[${i}]: ${a} where the reference has ${b}`;
    if (kindOf(b) === "finite" && Math.abs(a - b) > bound * Math.max(1, Math.abs(b)))
      return `[${i}]: ${a} vs ${b}`;
  }
  return undefined;
}

describe("tfjsOptimizer ops path: NaN, ±∞ and huge gradients as the reference chain", () => {
  for (const [name, make] of CONFIGS) {
    const cases: [string, number[]][] = [["NaN, ±∞", NONFINITE]];
    if (!name.startsWith("clip")) cases.push(["huge finite", HUGE], ["all", [...NONFINITE, ...HUGE]]);
    for (const [what, special] of cases) {
      it(`${name}: ${what}`, async () => {
        const ref = reference(make, special);
        const got = await ops(make, special);
        expect(got.path).toBe("ops");
        if (special === NONFINITE) expect(ref.params.some((x) => !Number.isFinite(x))).toBe(true);
        expect(compare(got.params, ref.params, 1e-5), "params").toBeUndefined();
        expect(compare(got.state, ref.state, 1e-5), "state").toBeUndefined();
      });
    }
  }
});
