/**
 * TF.js in Node for the CLI: the backend (wasm by default, cpu as the fallback) and the gradients.
 *
 * tfjs-core registers its gradients in `dist/register_all_gradients.js`, an ES module whose imports
 * omit file extensions: bundlers (and Vitest) load it, Node's own loader refuses it. When the
 * gradients are not registered yet, a resolve hook that retries such relative imports inside
 * `@tensorflow/*` with `.js` is installed first (for those packages only), then the file is imported.
 * It evaluates tfjs-core's ES build next to the CommonJS build the other packages use; tfjs keeps its
 * engine and its kernel and gradient registries global for exactly this case, so both share them.
 */
import { createRequire, register } from "node:module";
import { dirname, join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { registerConvFilterGradient } from "./conv-grad.ts";

export const BACKENDS = ["wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

const HOOK = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const parent = context.parentURL ?? "";
    if (/\\/node_modules\\/@tensorflow\\//.test(parent) && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith(".js")) {
      return next(specifier + ".js", context);
    }
    throw error;
  }
}`;

let gradients: Promise<void> | undefined;

/** Registers tfjs-core's gradients once (a no-op where something already did, e.g. under Vitest). */
export function registerGradients(): Promise<void> {
  gradients ??= (async () => {
    // TF.js registers matMul's gradient under its kernel name, BatchMatMul.
    if (tf.getGradient("BatchMatMul") !== undefined) return;
    if (typeof register !== "function") {
      throw new Error("momenta train needs Node ≥ 20.6 (module.register) to load TF.js's gradients");
    }
    register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  })();
  return gradients;
}

let wasmPathSet = false;

/**
 * Makes `wanted` the TF.js backend; the wasm backend falls back to cpu when it cannot start. Returns
 * the backend in use and, when it is not the one asked for, why.
 */
export async function useBackend(wanted: BackendName): Promise<{ backend: BackendName; note?: string }> {
  await registerGradients();
  registerConvFilterGradient();
  // Quiet: tfjs's "install tfjs-node" banner and its other console warnings are not the CLI's output.
  tf.enableProdMode();
  if (wanted === "wasm") {
    if (!wasmPathSet) {
      const require = createRequire(import.meta.url);
      setWasmPaths(
        `${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`,
      );
      wasmPathSet = true;
    }
    let ok = false;
    let reason = "";
    try {
      ok = await tf.setBackend("wasm");
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    if (ok) {
      await tf.ready();
      return { backend: "wasm" };
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return {
      backend: "cpu",
      note: `the wasm backend did not start${reason ? ` (${reason})` : ""}; using cpu`,
    };
  }
  await tf.setBackend("cpu");
  await tf.ready();
  return { backend: "cpu" };
}
