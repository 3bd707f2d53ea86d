/**
 * TF.js's backend for the page: webgpu where the browser offers WebGPU, else webgl (momenta's
 * tfjsOptimizer runs its own programs on either), else nothing — the page says which. `only` asks for
 * one of them (the page's `?backend=webgl`, to see the fallback where WebGPU exists).
 */
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import * as tf from "@tensorflow/tfjs-core";

export type GpuBackend = "webgpu" | "webgl";

export async function chooseBackend(only?: GpuBackend): Promise<GpuBackend> {
  // A browser without WebGPU, or whose adapter request fails, leaves setBackend false: try the next.
  for (const name of only ? [only] : (["webgpu", "webgl"] as const)) {
    if (name === "webgpu" && !("gpu" in navigator)) continue;
    if (await tf.setBackend(name).catch(() => false)) {
      await tf.ready();
      return name;
    }
  }
  throw new Error(
    only
      ? `this browser does not offer ${only} to TF.js`
      : "this browser offers neither WebGPU nor WebGL2 to TF.js",
  );
}
