/**
 * The page test/web/tfjs-webgl.test.ts drives: TF.js on its webgl backend, momenta/tfjs from the
 * library's source. `window.__tfjs.run(spec)` trains the two-layer model of ./protocol.ts with a recipe
 * and reports everything the test checks (gradients applied, final values, saved weights, tensor
 * counts, reads during steps, where the data lives).
 */
import "@tensorflow/tfjs-backend-webgl";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import {
  BATCH,
  type GlInfo,
  type Hook,
  INPUTS,
  NAMES,
  OUTPUTS,
  RECIPES,
  type RunResult,
  type RunSpec,
  SHAPES,
  type Snapshot,
} from "./protocol.ts";

declare global {
  interface Window {
    __tfjs: Hook;
  }
}

/** The parts of tfjs-backend-webgl's MathBackendWebGL this page looks at. */
interface WebGLBackend {
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  texData: { get(dataId: object): { texture?: unknown } | undefined };
  gpgpu: { gl: WebGL2RenderingContext };
}

const FLAGS = [
  "WEBGL_VERSION",
  "WEBGL_PACK",
  "WEBGL_PACK_BINARY_OPERATIONS",
  "WEBGL_CPU_FORWARD",
  "WEBGL_RENDER_FLOAT32_ENABLED",
];
const flagsNow = () => Object.fromEntries(FLAGS.map((f) => [f, tf.env().get(f) as boolean | number]));

/** Why WebGL is missing, in the browser's words: a context of our own, asked for directly. */
function glProbe(): string {
  const canvas = document.createElement("canvas");
  const messages: string[] = [];
  canvas.addEventListener("webglcontextcreationerror", (e) => {
    messages.push((e as WebGLContextEvent).statusMessage || "(no status message)");
  });
  const gl = canvas.getContext("webgl2") ?? canvas.getContext("webgl");
  return gl
    ? `a ${gl instanceof WebGL2RenderingContext ? "WebGL2" : "WebGL1"} context works`
    : messages.join("; ");
}

async function init(flags: Record<string, boolean | number>): Promise<GlInfo> {
  for (const [k, v] of Object.entries(flags)) tf.env().set(k, v);
  let ok = false;
  let error: string | undefined;
  try {
    ok = await tf.setBackend("webgl");
    await tf.ready();
  } catch (e) {
    error = String(e);
  }
  if (!ok || tf.getBackend() !== "webgl") {
    return { ok: false, error: `tf.setBackend("webgl") failed: ${error ?? "returned false"}; ${glProbe()}` };
  }
  const gl = (tf.backend() as unknown as WebGLBackend).gpgpu.gl;
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  return {
    ok: true,
    renderer: String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
    version: String(gl.getParameter(gl.VERSION)),
    flags: flagsNow(),
  };
}

async function snapshot(vars: tf.Variable[], opt: tf.Optimizer): Promise<Snapshot> {
  const params: Record<string, number[]> = {};
  for (const v of vars) params[v.name] = Array.from(await v.data());
  const weights = await Promise.all(
    (await opt.getWeights()).map(async ({ name, tensor }) => ({
      name,
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      values: Array.from(await tensor.data()),
    })),
  );
  return { params, weights };
}

async function run(spec: RunSpec): Promise<RunResult> {
  if (tf.getBackend() !== "webgl") throw new Error("call init() first: the backend is not webgl");
  const backend = tf.backend() as unknown as WebGLBackend;
  const tensorsBefore = tf.memory().numTensors;
  const vars = NAMES.map((n) =>
    tf.tidy(() => tf.variable(tf.tensor(spec.init[n]!, SHAPES[n], "float32"), true, n)),
  );
  const v = Object.fromEntries(vars.map((x) => [x.name, x]));
  const x = tf.tensor2d(spec.x, [BATCH, INPUTS]);
  const y = tf.tensor2d(spec.y, [BATCH, OUTPUTS]);
  const loss = () =>
    tf.tidy(() => {
      const hidden = tf.tanh(tf.add(tf.matMul(x, v["dense_1/kernel"]!), v["dense_1/bias"]!));
      const out = tf.add(tf.matMul(hidden, v["dense_2/kernel"]!), v["dense_2/bias"]!);
      return tf.losses.meanSquaredError(y, out) as tf.Scalar;
    });
  const opt = tfjsOptimizer(RECIPES[spec.recipe]!.tx(), { name: `webgl-page/${spec.recipe}` });

  // Count the backend's reads while the optimizer steps (the ops path should make none).
  let counting = false;
  let readsInSteps = 0;
  const { readSync, read } = backend;
  backend.readSync = (id) => {
    if (counting) readsInSteps++;
    return readSync.call(backend, id);
  };
  backend.read = (id) => {
    if (counting) readsInSteps++;
    return read.call(backend, id);
  };

  const grads: Record<string, number[]>[] = [];
  const losses: number[] = [];
  const numTensors: number[] = [];
  let saved: Snapshot | undefined;
  try {
    for (let t = 1; t <= spec.steps; t++) {
      const { value, grads: g } = tf.variableGrads(loss, vars);
      const applied: Record<string, number[]> = {};
      for (const n of NAMES) applied[n] = Array.from(await g[n]!.data());
      grads.push(applied);
      losses.push((await value.data())[0]!);
      counting = true;
      try {
        opt.applyGradients(g);
      } finally {
        counting = false;
      }
      tf.dispose([value, ...Object.values(g)]);
      numTensors.push(tf.memory().numTensors);
      if (t === spec.saveAt) saved = await snapshot(vars, opt);
    }
    const registered = tf.engine().registeredVariables;
    const slots = Object.keys(registered).filter((k) => NAMES.some((n) => k.startsWith(`${n}/`)));
    const onGpu = [...NAMES, ...slots].every(
      (k) => backend.texData.get(registered[k]!.dataId)?.texture != null,
    );
    const final = await snapshot(vars, opt);
    const path = (opt as { path?: string }).path;
    const kernel = opt.opsKernel;
    opt.dispose();
    tf.dispose([x, y, ...vars]);
    return {
      backend: tf.getBackend(),
      path,
      kernel,
      grads,
      losses,
      numTensors,
      tensorsBefore,
      tensorsAfter: tf.memory().numTensors,
      readsInSteps,
      onGpu,
      slots: slots.sort(),
      ...(saved ? { saved } : {}),
      final,
      flags: flagsNow(),
    };
  } finally {
    backend.readSync = readSync;
    backend.read = read;
  }
}

window.__tfjs = { init, run };
