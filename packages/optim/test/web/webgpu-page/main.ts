/**
 * The page test/web/tfjs-webgpu.test.ts drives: TF.js on its webgpu backend (Chromium's SwiftShader
 * adapter), momenta/tfjs from the library's source. `window.__webgpu.run(recipe)` trains three
 * variables for STEPS steps on seeded gradients and records, at every step, the values and saved
 * state before it, its gradients and the values after it — which Node replays through the core.
 */
import "@tensorflow/tfjs-backend-webgpu";
import * as tf from "@tensorflow/tfjs-core";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import {
  NAMES,
  RECIPES,
  rng,
  SHAPES,
  STEPS,
  type StepRecord,
  type Values,
  type WebGpuHook,
} from "./protocol.ts";

declare global {
  interface Window {
    __webgpu: WebGpuHook;
  }
}

async function run(recipe: string) {
  if (!(await tf.setBackend("webgpu"))) throw new Error("TF.js could not start its webgpu backend");
  await tf.ready();
  const start = tf.memory().numTensors;
  const next = rng(7);
  const random = (n: number, scale: number) => Array.from({ length: n }, () => scale * (2 * next() - 1));
  const size = (n: string) => SHAPES[n]!.reduce((a, b) => a * b, 1);
  const vars = NAMES.map((n) =>
    tf.tidy(() => tf.variable(tf.tensor(random(size(n), 1), SHAPES[n], "float32"), true, n)),
  );
  const opt = tfjsOptimizer(RECIPES[recipe]!.tx(), { name: `webgpu/${recipe}` });
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

window.__webgpu = { run };
