/**
 * The ops path (TF.js ops on the variables, moments in slot variables) against the arrays path
 * (momenta's own update, tested equal to the core in optimizer.test.ts): equal to float32 rounding
 * for every fusible kind and option, the same state dicts, switchable mid-training, no leaks.
 * Node has only the cpu and wasm backends, so path "ops" is forced here (auto picks it on webgl/webgpu;
 * a cpu backend registered under another name stands in for one).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import * as m from "momenta-optim";
import { type MomentaOptimizer, stateFromWords, type TfjsPath, tfjsOptimizer } from "momenta-optim/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
setWasmPaths(`${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`);

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** Ops vs arrays after STEPS steps: the bound, relative to each tensor's largest magnitude. */
const STEPS = 20;
const BOUND = 1e-5;
/** The worst differences measured per backend, printed at the end (for the record). */
const worst: Record<string, { params: number; state: number; where: string }> = {};

let tags = 0;

/** A two-layer regression with three variables (a bias among them, for masks); gradients by autodiff. */
function model(prefix: string) {
  const x = tf.randomNormal([32, 6], 0, 1, "float32", 11);
  const y = tf.randomNormal([32, 2], 0, 1, "float32", 12);
  const vars = [
    tf.variable(tf.randomNormal([6, 5], 0, 0.5, "float32", 13), true, `${prefix}/dense/kernel`),
    tf.variable(tf.randomNormal([5], 0, 0.1, "float32", 14), true, `${prefix}/dense/bias`),
    tf.variable(tf.randomNormal([5, 2], 0, 0.5, "float32", 15), true, `${prefix}/out/kernel`),
  ];
  const [w1, b1, w2] = vars as [tf.Variable, tf.Variable, tf.Variable];
  const loss = () =>
    tf.tidy(
      () => tf.losses.meanSquaredError(y, tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2)) as tf.Scalar,
    );
  return {
    vars,
    step(opt: tf.Optimizer) {
      tf.dispose(opt.minimize(loss, true, vars) ?? []);
    },
    values: () => vars.map((v) => v.dataSync().slice() as Float32Array),
    dispose: () => tf.dispose([x, y, ...vars]),
  };
}

async function stateOf(opt: tf.Optimizer): Promise<m.StateDict> {
  const w = await opt.getWeights();
  return stateFromWords(await w.find((x) => x.name.endsWith("/state"))!.tensor.data())!;
}

/** Trains a fresh model STEPS steps on one path; its values and state dict. */
async function train(recipe: () => m.AnyTransformation, path: TfjsPath, steps = STEPS) {
  const net = model(`p${tags++}`);
  const opt = tfjsOptimizer(recipe(), { path });
  for (let t = 0; t < steps; t++) net.step(opt);
  const out = { values: net.values(), state: await stateOf(opt), path: (opt as MomentaOptimizer).path };
  opt.dispose();
  net.dispose();
  return out;
}

async function expectSamePaths(name: string, recipe: () => m.AnyTransformation) {
  const arrays = await train(recipe, "arrays");
  const ops = await train(recipe, "ops");
  expect(arrays.path).toBe("arrays");
  expect(ops.path).toBe("ops");
  const params = Math.max(...ops.values.map((v, i) => relDiff(v, arrays.values[i]!)));
  expect(ops.state.step).toBe(STEPS);
  const state = compareStates(ops.state.state, arrays.state.state);
  expect(params, `${name}: params`).toBeLessThan(BOUND);
  expect(state, `${name}: state`).toBeLessThan(BOUND);
  // and the arrays path did move the params (a case that leaves them alone would prove nothing)
  const start = model(`p${tags++}`);
  expect(relDiff(arrays.values[0]!, start.values()[0]!)).toBeGreaterThan(1e-3);
  start.dispose();
  const w = worst[tf.getBackend()] ?? { params: 0, state: 0, where: "" };
  worst[tf.getBackend()] = w;
  if (Math.max(params, state) > Math.max(w.params, w.state)) w.where = name;
  w.params = Math.max(w.params, params);
  w.state = Math.max(w.state, state);
  if (process.env.OPS_PATH_REPORT)
    console.log(
      `${tf.getBackend()} ${name}: ${params.toExponential(2)} ${state.toExponential(2)} norm ${JSON.stringify((ops.state.state as { totalNorm?: number }[])[0]?.totalNorm)}`,
    );
}

const sched = () => m.warmupCosineDecay({ peak: 0.02, warmupSteps: 5, decaySteps: STEPS });
const mask = m.excludeBiasAndNorm;

const CASES: [string, () => m.AnyTransformation][] = [
  ["adam", () => m.adam({ lr: 0.01 })],
  ["adam amsgrad + L2", () => m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ["adam L2 masked", () => m.adam({ lr: 0.01, weightDecay: 0.1, mask })],
  ["adam maximize", () => m.adam({ lr: 0.01, maximize: true })],
  ["adam scheduled beta1", () => m.adam({ lr: 0.01, betas: [(t: number) => 0.8 + 0.005 * t, 0.99] })],
  ["adamw decoupled", () => m.adamw({ lr: 0.01, weightDecay: 0.1 })],
  ["adamw masked, scheduled lr", () => m.adamw({ lr: sched(), weightDecay: 0.1, mask })],
  ["adamw amsgrad maximize", () => m.adamw({ lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true })],
  [
    "clip + adamw",
    () => m.chain(m.clipByGlobalNorm(0.05), m.adamw({ lr: sched(), weightDecay: 0.05, mask })),
  ],
  ["clip(inf) + adam", () => m.chain(m.clipByGlobalNorm(0.02, { normType: Infinity }), m.adam({ lr: 0.01 }))],
  [
    "clip(1-norm, strict) + adam",
    () => m.chain(m.clipByGlobalNorm(0.1, { normType: 1, errorIfNonfinite: true }), m.adam({ lr: 0.01 })),
  ],
  ["sgd", () => m.sgd({ lr: 0.1 })],
  ["sgd momentum + dampening", () => m.sgd({ lr: 0.1, momentum: 0.9, dampening: 0.3 })],
  ["sgd nesterov + L2", () => m.sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  [
    "sgd maximize, masked L2",
    () => m.sgd({ lr: 0.05, momentum: 0.5, maximize: true, weightDecay: 0.1, mask }),
  ],
  [
    "sgd scheduled lr and momentum",
    () =>
      m.sgd({
        lr: m.stepLr({ lr: 0.1, stepSize: 5, gamma: 0.5 }),
        momentum: (t: number) => Math.min(0.9, 0.1 * t),
      }),
  ],
  ["sgdw masked", () => m.sgdw({ lr: 0.1, momentum: 0.9, weightDecay: 0.1, mask })],
  ["clip + sgd", () => m.chain(m.clipByGlobalNorm(0.05), m.sgd({ lr: 0.1, momentum: 0.9 }))],
  ["rmsprop", () => m.rmsprop({ lr: 0.01 })],
  ["rmsprop centered + momentum", () => m.rmsprop({ lr: 0.01, centered: true, momentum: 0.9 })],
  ["rmsprop L2 masked", () => m.rmsprop({ lr: 0.01, weightDecay: 0.1, mask })],
  ["adagrad", () => m.adagrad({ lr: 0.1 })],
  ["adagrad L2, scheduled lr", () => m.adagrad({ lr: sched(), weightDecay: 0.1 })],
  ["lion", () => m.lion({ lr: 1e-3 })],
  ["lion decay masked", () => m.lion({ lr: 1e-3, weightDecay: 0.5, mask })],
  ["clip + lion maximize", () => m.chain(m.clipByGlobalNorm(0.05), m.lion({ lr: 1e-3, maximize: true }))],
  ["adamax L2 masked", () => m.adamax({ lr: 0.01, weightDecay: 0.1, mask })],
  ["nadam", () => m.nadam({ lr: 0.01 })],
  [
    "nadam decoupled, scheduled lr",
    () => m.nadam({ lr: sched(), weightDecay: 0.1, decoupledWeightDecay: true }),
  ],
  ["radam (rectified from step 6)", () => m.radam({ lr: 0.01 })],
  [
    "clip + radam decoupled",
    () =>
      m.chain(m.clipByGlobalNorm(0.05), m.radam({ lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true })),
  ],
  ["adadelta maximize", () => m.adadelta({ lr: 1, maximize: true })],
];

describe("tfjsOptimizer ops path (cpu backend)", () => {
  for (const [name, recipe] of CASES) {
    it(`${name}: ${STEPS} steps on the ops path equal the arrays path`, async () => {
      await expectSamePaths(name, recipe);
    });
  }

  it("switching paths mid-training through getWeights/setWeights continues as if it had not", async () => {
    const recipe = () => m.chain(m.clipByGlobalNorm(0.05), m.adamw({ lr: sched(), weightDecay: 0.1, mask }));
    const straight = await train(recipe, "arrays");
    for (const [first, second] of [
      ["arrays", "ops"],
      ["ops", "arrays"],
    ] as const) {
      const net = model(`p${tags++}`);
      const a = tfjsOptimizer(recipe(), { path: first });
      for (let t = 0; t < STEPS / 2; t++) net.step(a);
      const saved = await a.getWeights();
      const b = tfjsOptimizer(recipe(), { path: second });
      await b.setWeights(saved); // before its first step: applied when the variables bind
      a.dispose(); // frees the saved tensors too; b already holds the state
      expect(b.iterations).toBe(STEPS / 2);
      for (let t = 0; t < STEPS / 2; t++) net.step(b);
      expect(b.path).toBe(second);
      net.values().forEach((v, i) => {
        expect(relDiff(v, straight.values[i]!)).toBeLessThan(BOUND);
      });
      const state = await stateOf(b);
      expect(state.step).toBe(STEPS);
      expect(compareStates(state.state, straight.state.state)).toBeLessThan(BOUND);
      // and into an optimizer already bound (setWeights after steps): the slots are overwritten
      const c = tfjsOptimizer(recipe(), { path: first });
      net.step(c);
      await c.setWeights(await b.getWeights());
      expect(c.iterations).toBe(STEPS);
      expect((await stateOf(c)).state).toEqual(state.state);
      b.dispose();
      c.dispose();
      net.dispose();
    }
  });

  it("the momenta handle reports the ops path's step count and state", async () => {
    const net = model(`p${tags++}`);
    const opt = tfjsOptimizer(m.adamw({ lr: 0.01 }), { path: "ops" });
    for (let t = 0; t < 3; t++) net.step(opt);
    expect(opt.momenta?.stepCount).toBe(3);
    const state = opt.momenta!.state as [{ count: number; expAvg: Float32Array[] }];
    expect(state[0].count).toBe(3);
    // leaves in sorted name order: dense/bias first
    expect(Array.from(state[0].expAvg[0]!)).toEqual(
      Array.from(tf.engine().registeredVariables[`${net.vars[1]!.name}/expAvg`]!.dataSync()),
    );
    expect(opt.momenta?.stepCount).toBe(3);
    opt.dispose();
    net.dispose();
  });

  it("leaks no tensors per step, and dispose frees the slots", async () => {
    const net = model(`p${tags++}`);
    const before = tf.memory().numTensors;
    const opt = tfjsOptimizer(
      m.chain(m.clipByGlobalNorm(0.05), m.adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 })),
      { path: "ops" },
    );
    net.step(opt);
    const slots = Object.keys(tf.engine().registeredVariables).filter((n) => n.startsWith(net.vars[0]!.name));
    expect(slots.sort()).toEqual(
      ["", "/expAvg", "/expAvgSq", "/maxExpAvgSq"].map((s) => `${net.vars[0]!.name}${s}`),
    );
    const during = tf.memory().numTensors;
    expect(during).toBe(before + 3 * 3 + 1); // three slots per variable, the last norm
    for (let t = 0; t < 25; t++) net.step(opt);
    expect(tf.memory().numTensors).toBe(during);
    await opt.getWeights(); // the handed-out tensors are the optimizer's, freed by dispose
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(
      Object.keys(tf.engine().registeredVariables).filter((n) => n.startsWith(net.vars[0]!.name)),
    ).toEqual([net.vars[0]!.name]);
    net.dispose();
  });

  it("a second optimizer on the same variables gets its own slots", () => {
    const net = model(`p${tags++}`);
    const a = tfjsOptimizer(m.adam({ lr: 0.01 }), { path: "ops" });
    const b = tfjsOptimizer(m.adam({ lr: 0.01 }), { path: "ops" });
    net.step(a);
    net.step(b);
    expect(tf.engine().registeredVariables[`${net.vars[0]!.name}/expAvg_1`]).toBeDefined();
    a.dispose();
    b.dispose();
    net.dispose();
  });

  it("strict clipping throws before changing anything, as the core does", () => {
    const net = model(`p${tags++}`);
    const opt = tfjsOptimizer(m.chain(m.clipByGlobalNorm(1, { errorIfNonfinite: true }), m.adam()), {
      path: "ops",
    });
    const before = net.values();
    const bad = net.vars.map((v) => tf.fill(v.shape, Number.NaN));
    const named = Object.fromEntries(net.vars.map((v, i) => [v.name, bad[i]!]));
    expect(() => opt.applyGradients(named)).toThrow(
      /total 2-norm of the gradients is NaN; nothing was changed/,
    );
    expect(net.values()).toEqual(before);
    expect(opt.iterations).toBe(0);
    tf.dispose(bad);
    opt.dispose();
    net.dispose();
  });

  it("an unfusible chain: path 'ops' is refused clearly, 'auto' runs it on arrays", async () => {
    expect(() => tfjsOptimizer(m.adafactor({ lr: 0.01 }), { path: "ops" })).toThrow(
      /path "ops" cannot run this chain: it is not an optimizer alias that momenta fuses .*Use path "auto" or "arrays"/,
    );
    expect(() => tfjsOptimizer(m.adam(), { path: "gpu" as never })).toThrow(
      /path must be "auto", "ops" or "arrays"/,
    );
    const auto = await train(() => m.adafactor({ lr: 0.01 }), "auto", 3);
    expect(auto.path).toBe("arrays");
    expect(auto.state.step).toBe(3);
  });
});

describe("tfjsOptimizer path 'auto' on a backend that is neither cpu nor wasm", () => {
  // The cpu backend's kernels under another name: what auto sees on webgl or webgpu.
  beforeAll(async () => {
    if (!tf.findBackend("gpu-standin")) {
      tf.registerBackend("gpu-standin", () => new MathBackendCPU());
      for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "gpu-standin" });
    }
    await tf.setBackend("gpu-standin");
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  it("runs a fusible chain as ops and an unfusible one on arrays, both training", async () => {
    const fused = await train(() => m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: 0.01, mask })), "auto", 3);
    expect(fused.path).toBe("ops");
    const other = await train(() => m.adafactor({ lr: 0.01 }), "auto", 3);
    expect(other.path).toBe("arrays");
    expect(other.state.step).toBe(3);
  });
});

describe("tfjsOptimizer ops path (wasm backend)", () => {
  beforeAll(async () => {
    await tf.setBackend("wasm");
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
    for (const [backend, w] of Object.entries(worst)) {
      console.log(
        `ops vs arrays on ${backend} after ${STEPS} steps, worst relative difference: params ${w.params.toExponential(2)}, state ${w.state.toExponential(2)} (${w.where})`,
      );
    }
  });

  const subset = [
    "adam amsgrad + L2",
    "clip + adamw",
    "sgd nesterov + L2",
    "rmsprop centered + momentum",
    "adagrad L2, scheduled lr",
    "lion decay masked",
  ];
  for (const [name, recipe] of CASES.filter(([n]) => subset.includes(n))) {
    it(`${name}: equal to the arrays path on wasm too`, async () => {
      expect(tf.getBackend()).toBe("wasm");
      await expectSamePaths(name, recipe);
    });
  }

  it("leaks nothing per step on wasm", () => {
    const net = model(`p${tags++}`);
    const opt = tfjsOptimizer(
      m.chain(m.clipByGlobalNorm(0.05), m.rmsprop({ centered: true, momentum: 0.9 })),
      {
        path: "ops",
      },
    );
    net.step(opt);
    const during = tf.memory().numTensors;
    for (let t = 0; t < 10; t++) net.step(opt);
    expect(tf.memory().numTensors).toBe(during);
    opt.dispose();
    net.dispose();
  });
});
