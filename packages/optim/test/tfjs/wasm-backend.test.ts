/** On TF.js's wasm backend (where in-place writes would meet XNNPACK's packed-weight cache) results equal the cpu backend's. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import * as m from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
setWasmPaths(`${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`);

async function train(backend: "cpu" | "wasm", tag: string) {
  await tf.setBackend(backend);
  await tf.ready();
  const x = tf.tensor2d(
    Array.from({ length: 64 }, (_, i) => Math.sin(i)),
    [16, 4],
  );
  const y = tf.tensor2d(
    Array.from({ length: 48 }, (_, i) => Math.cos(i)),
    [16, 3],
  );
  const w = tf.variable(
    tf.tensor2d(
      Array.from({ length: 12 }, (_, i) => 0.1 * Math.sin(3 * i)),
      [4, 3],
    ),
    true,
    `w_${tag}`,
  );
  const opt = tfjsOptimizer(m.adamw({ lr: 0.05, weightDecay: 0.1 }));
  const before = tf.memory().numTensors;
  for (let t = 0; t < 30; t++) {
    // the loss is the same function on both backends; gradients are computed by hand so both get identical inputs
    const g = tf.tidy(() => tf.div(tf.matMul(x, tf.sub(tf.matMul(x, w), y), true, false), 16));
    const values = g.dataSync().slice();
    g.dispose();
    const grad = tf.tensor2d(values, [4, 3]);
    opt.applyGradients({ [`w_${tag}`]: grad });
    grad.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  const out = Array.from(w.dataSync());
  tf.dispose([x, y, w]);
  opt.dispose();
  return out;
}

describe("TF.js wasm backend", () => {
  it("trains as on the cpu backend, leaking nothing", async () => {
    const cpu = await train("cpu", "c");
    const wasm = await train("wasm", "w");
    expect(tf.getBackend()).toBe("wasm");
    cpu.forEach((v, i) => {
      expect(Math.abs(v - wasm[i]!)).toBeLessThan(1e-5);
    });
  });
});
