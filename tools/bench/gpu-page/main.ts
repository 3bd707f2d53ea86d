/**
 * The page `npm run bench:gpu` drives: TF.js on webgpu or webgl, one MLP's variables (./protocol.ts),
 * the same gradients every step, `tf.train.adam` and momenta's `tfjsOptimizer(adamw())` in interleaved
 * rounds, each round timed to the end of the GPU's work (a value read back). And `standalone`: the
 * same shapes as GPUBuffers stepped by momenta-optim/webgpu's AdamW, no TF.js, each round timed to
 * `device.queue.onSubmittedWorkDone()`.
 */
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import * as tf from "@tensorflow/tfjs-core";
import { adamw } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { webgpuOptimizer } from "momenta-optim/webgpu";
import {
  type GpuHook,
  type GpuRunResult,
  type GpuRunSpec,
  SHAPES,
  type StandaloneResult,
} from "./protocol.ts";

declare global {
  interface Window {
    __gpuBench: GpuHook;
  }
}

/** The device behind the backend, as far as the page can tell. */
async function device(backend: string): Promise<string> {
  if (backend === "webgpu") {
    const gpu = (
      navigator as unknown as {
        gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> };
      }
    ).gpu;
    const info = (await gpu?.requestAdapter())?.info;
    return info
      ? `WebGPU adapter ${info.vendor ?? "?"}/${info.architecture ?? "?"}`
      : "WebGPU (adapter info unavailable)";
  }
  const gl = document.createElement("canvas").getContext("webgl2");
  const ext = gl?.getExtension("WEBGL_debug_renderer_info");
  return gl
    ? `WebGL2 ${ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)}`
    : "no WebGL2";
}

async function run({ backend, steps, rounds }: GpuRunSpec): Promise<GpuRunResult> {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not start its ${backend} backend`);
  await tf.ready();
  const vars = SHAPES.map((s, i) =>
    tf.variable(tf.randomNormal([...s], 0, 0.05, "float32", i + 1), true, `bench/v${i}`),
  );
  const grads = Object.fromEntries(
    vars.map((v, i) => [v.name, tf.randomNormal([...SHAPES[i]!], 0, 0.01, "float32", 100 + i)]),
  );
  const tfTrain = tf.train.adam(1e-3);
  const momenta = tfjsOptimizer(adamw({ lr: 1e-3 }), { name: "bench/adamw" });
  // one value read back: every step queued before it has run
  const settle = async () => {
    const one = tf.slice(vars[vars.length - 1]!, [0], [1]);
    await one.data();
    one.dispose();
  };
  // both take a gradient per variable name
  const optimizers = [tfTrain, momenta] as unknown as { applyGradients(g: tf.NamedTensorMap): void }[];
  const ms: number[][] = [[], []];
  // tensors alive after an optimizer's timed steps minus before them, summed over rounds (its own
  // growth: nothing else runs in between)
  const growth: number[] = [0, 0];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < optimizers.length; k++) {
      const opt = optimizers[k]!;
      // warm: compiles the shaders (and creates the state) outside the timing
      opt.applyGradients(grads);
      await settle();
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) opt.applyGradients(grads);
      await settle();
      ms[k]!.push((performance.now() - t0) / steps);
      growth[k]! += tf.memory().numTensors - before;
    }
  }
  const result: GpuRunResult = {
    backend: tf.getBackend(),
    device: await device(backend),
    path: `${momenta.path ?? "?"}${momenta.opsKernel ? ` (${momenta.opsKernel})` : ""}`,
    tfTrainMs: ms[0]!,
    momentaMs: ms[1]!,
    tensorGrowth: { tfTrain: growth[0]!, momenta: growth[1]! },
  };
  tfTrain.dispose();
  momenta.dispose();
  tf.dispose([...vars, ...Object.values(grads)]);
  return result;
}

async function standalone({ steps, rounds }: { steps: number; rounds: number }): Promise<StandaloneResult> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter");
  const d = await adapter.requestDevice();
  let seed = 1;
  const random = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      a[i] = scale * (seed / 2 ** 31 - 1);
    }
    return a;
  };
  const buffer = (values: Float32Array) => {
    const b = d.createBuffer({
      size: values.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    d.queue.writeBuffer(b, 0, values);
    return b;
  };
  const names = SHAPES.map((_, i) => `v${i}`);
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const params = names.map((_, i) => buffer(random(size(SHAPES[i]!), 0.05)));
  const grads = Object.fromEntries(names.map((n, i) => [n, buffer(random(size(SHAPES[i]!), 0.01))]));
  const opt = webgpuOptimizer(adamw({ lr: 1e-3 }), {
    device: d,
    params: Object.fromEntries(names.map((n, i) => [n, { buffer: params[i]!, shape: SHAPES[i]! }])),
  });
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // warm: compiles the pipelines outside the timing
    opt.step(grads);
    await d.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) opt.step(grads);
    await d.queue.onSubmittedWorkDone();
    ms.push((performance.now() - t0) / steps);
  }
  const info = (adapter as { info?: { vendor?: string; architecture?: string } }).info;
  opt.dispose();
  for (const b of [...params, ...Object.values(grads)]) b.destroy();
  d.destroy();
  return { device: info ? `WebGPU adapter ${info.vendor ?? "?"}/${info.architecture ?? "?"}` : "WebGPU", ms };
}

window.__gpuBench = { run, standalone };
