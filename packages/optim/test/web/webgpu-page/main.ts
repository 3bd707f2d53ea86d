/**
 * The page test/web/tfjs-webgpu.test.ts drives: TF.js on its webgpu backend (Chromium's SwiftShader
 * adapter), momenta/tfjs from the library's source. `window.__webgpu.run(recipe)` trains three
 * variables for STEPS steps on seeded gradients and records, at every step, the values and saved
 * state before it, its gradients and the values after it — which Node replays through the core.
 * `saveAndGoOn`, `resumeFrom` and `syncGetter` serve test/web/tfjs-webgpu-resume.test.ts: a save on
 * webgpu resumed on cpu and back, and the synchronous `momenta` getter after webgpu steps.
 */
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import * as tf from "@tensorflow/tfjs-core";
import * as m from "momenta-optim";
import { type MomentaOptimizer, tfjsOptimizer } from "momenta-optim/tfjs";
import {
  type GetterProbe,
  gradsAt,
  NAMES,
  RECIPES,
  RESUME_RECIPES,
  RESUME_STEPS,
  type ResumeRun,
  rng,
  SAVE_AT,
  type Saved,
  SHAPES,
  STEPS,
  type StepRecord,
  type StrictClipProbe,
  startValues,
  type Values,
  type WebGpuHook,
} from "./protocol.ts";

declare global {
  interface Window {
    __webgpu: WebGpuHook;
  }
}

async function run(recipe: string, backend: "webgpu" | "webgl") {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not start its ${backend} backend`);
  await tf.ready();
  const start = tf.memory().numTensors;
  const next = rng(7);
  const random = (n: number, scale: number) => Array.from({ length: n }, () => scale * (2 * next() - 1));
  const size = (n: string) => SHAPES[n]!.reduce((a, b) => a * b, 1);
  const vars = NAMES.map((n) =>
    tf.tidy(() => tf.variable(tf.tensor(random(size(n), 1), SHAPES[n], "float32"), true, n)),
  );
  const opt = tfjsOptimizer(RECIPES[recipe]!(), { name: `${backend}/${recipe}` });
  const values = async (): Promise<Values> => {
    const params = Object.fromEntries(
      await Promise.all(vars.map(async (v) => [v.name, Array.from(await v.data())] as const)),
    );
    if (opt.iterations === 0) return { params, stateWords: undefined };
    const weights = await opt.getWeights();
    const stateWords = Array.from(await weights[1]!.tensor.data());
    tf.dispose(weights.map((w) => w.tensor));
    return { params, stateWords };
  };
  const steps: StepRecord[] = [];
  const growth: number[] = [];
  let afterFirst = 0;
  for (let t = 0; t < STEPS; t++) {
    const before = await values();
    const grads = Object.fromEntries(NAMES.map((n) => [n, random(size(n), t === 7 ? 50 : 1)]));
    const tensors = Object.fromEntries(NAMES.map((n) => [n, tf.tensor(grads[n]!, SHAPES[n], "float32")]));
    opt.applyGradients(tensors);
    tf.dispose(Object.values(tensors));
    const after = await values();
    steps.push({ kernel: opt.opsKernel, before, grads, after });
    if (t === 0) afterFirst = tf.memory().numTensors;
    growth.push(tf.memory().numTensors - afterFirst);
  }
  opt.dispose();
  tf.dispose(vars);
  return { backend: tf.getBackend(), steps, leaked: tf.memory().numTensors - start, growth };
}

// Save on webgpu → resume on cpu, and back (test/web/tfjs-webgpu-resume.test.ts).

async function webgpu() {
  if (!(await tf.setBackend("webgpu"))) throw new Error("TF.js could not start its webgpu backend");
  await tf.ready();
}

const variables = (values: Record<string, number[]>) =>
  NAMES.map((n) => tf.tidy(() => tf.variable(tf.tensor(values[n]!, SHAPES[n], "float32"), true, n)));

/** Steps `from` … `to` − 1 of gradsAt; opsKernel after each. */
function train(opt: MomentaOptimizer, from: number, to: number): (string | undefined)[] {
  const kernels = [];
  for (let t = from; t < to; t++) {
    const g = gradsAt(t);
    const tensors = Object.fromEntries(NAMES.map((n) => [n, tf.tensor(g[n]!, SHAPES[n], "float32")]));
    opt.applyGradients(tensors);
    tf.dispose(Object.values(tensors));
    kernels.push(opt.opsKernel);
  }
  return kernels;
}

/** The variables' values and the optimizer's weights, all read asynchronously. */
async function save(opt: MomentaOptimizer, vars: tf.Variable[]): Promise<Saved> {
  const params = Object.fromEntries(
    await Promise.all(vars.map(async (v) => [v.name, Array.from(await v.data())] as const)),
  );
  const weights = await opt.getWeights();
  const iter = (await weights[0]!.tensor.data())[0]!;
  const stateWords = Array.from(await weights[1]!.tensor.data());
  return { params, iter, stateWords };
}

async function saveAndGoOn(recipe: string): Promise<ResumeRun> {
  await webgpu();
  const start = tf.memory().numTensors;
  const vars = variables(startValues());
  const opt = tfjsOptimizer(RESUME_RECIPES[recipe]!(), { name: `resume/${recipe}` });
  const kernels = train(opt, 0, SAVE_AT);
  const saved = await save(opt, vars);
  kernels.push(...train(opt, SAVE_AT, SAVE_AT + RESUME_STEPS));
  const final = await save(opt, vars);
  opt.dispose();
  tf.dispose(vars);
  return { backend: tf.getBackend(), kernels, saved, final, leaked: tf.memory().numTensors - start };
}

async function resumeFrom(recipe: string, saved: Saved): Promise<ResumeRun> {
  await webgpu();
  const start = tf.memory().numTensors;
  const vars = variables(saved.params);
  const opt = tfjsOptimizer(RESUME_RECIPES[recipe]!(), { name: `resume/${recipe}` });
  const weights = [
    { name: "iter", tensor: tf.scalar(saved.iter, "int32") },
    { name: `resume/${recipe}/state`, tensor: tf.tensor1d(saved.stateWords, "int32") },
  ];
  await opt.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
  const kernels = train(opt, SAVE_AT, SAVE_AT + RESUME_STEPS);
  const final = await save(opt, vars);
  opt.dispose();
  tf.dispose(vars);
  return {
    backend: tf.getBackend(),
    kernels,
    saved: undefined,
    final,
    leaked: tf.memory().numTensors - start,
  };
}

const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * SAVE_AT steps, then the `momenta` getter: nothing read before it (an asynchronous `data()` keeps
 * the values on the CPU, and a later `dataSync` of that tensor reads those), or all of it by
 * `getWeights` when `readFirst`. Then a step and an asynchronous save: is the device still there?
 */
async function syncGetter(recipe: string, readFirst: boolean): Promise<GetterProbe> {
  await webgpu();
  const vars = variables(startValues());
  const opt = tfjsOptimizer(RESUME_RECIPES[recipe]!(), { name: `getter/${recipe}` });
  const kernel = train(opt, 0, SAVE_AT).at(-1);
  if (readFirst) await opt.getWeights();
  let error: string | undefined;
  let params: Record<string, number[]> | undefined;
  let stateDict: unknown;
  const read = (handle: NonNullable<MomentaOptimizer["momenta"]>) => {
    const leaves = handle.params as Record<string, { data: Float32Array }>;
    params = Object.fromEntries(Object.entries(leaves).map(([n, p]) => [n, Array.from(p.data)]));
    stateDict = handle.stateDict();
  };
  try {
    read(opt.momenta!);
  } catch (e) {
    error = message(e);
    read((await opt.momentaAsync())!);
  }
  const after: GetterProbe["after"] = { stateWords: undefined, error: undefined };
  try {
    train(opt, SAVE_AT, SAVE_AT + 1);
    after.stateWords = (await save(opt, vars)).stateWords;
  } catch (e) {
    after.error = message(e);
  }
  opt.dispose();
  tf.dispose(vars);
  return { kernel, error, params, stateDict, after };
}

/** A step of a strict clip (`errorIfNonfinite`) on webgpu, refused there: what it threw and changed. */
async function strictClip(): Promise<StrictClipProbe> {
  await webgpu();
  const vars = variables(startValues());
  const values = async () =>
    Object.fromEntries(
      await Promise.all(vars.map(async (v) => [v.name, Array.from(await v.data())] as const)),
    );
  const opt = tfjsOptimizer(
    m.chain(m.clipByGlobalNorm(1, { errorIfNonfinite: true }), m.adamw({ lr: 0.01 })),
    {
      name: "strict-clip",
    },
  );
  const before = await values();
  let error: string | undefined;
  try {
    train(opt, 0, 1);
  } catch (e) {
    error = message(e);
  }
  const result = { error, before, after: await values(), iterations: opt.iterations };
  opt.dispose();
  tf.dispose(vars);
  return result;
}

window.__webgpu = { run, saveAndGoOn, resumeFrom, syncGetter, strictClip };
