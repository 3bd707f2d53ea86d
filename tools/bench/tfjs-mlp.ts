/**
 * Optimizer step on a real model's variables in TF.js: an MLP of ~1.07M float32 params
 * (784→1024→256→10), momenta's adam/adamw through `tfjsOptimizer` vs `tf.train.adam`, on TF.js's cpu
 * and wasm backends. Only applyGradients is timed (gradients made once). The "ops path" rows force
 * the path webgl/webgpu take (TF.js ops, moments in slot variables), to price it against the arrays
 * path these backends default to.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as m from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { type Measurement, measure } from "./table.ts";

const SHAPES: [string, number[]][] = [
  ["mlp/dense1/kernel", [784, 1024]],
  ["mlp/dense1/bias", [1024]],
  ["mlp/dense2/kernel", [1024, 256]],
  ["mlp/dense2/bias", [256]],
  ["mlp/out/kernel", [256, 10]],
  ["mlp/out/bias", [10]],
];
export const MLP_PARAMS = SHAPES.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);

export interface TfjsMlpRow {
  backend: "cpu" | "wasm";
  optimizer: string;
  mparams: number;
  runs: number[];
}

export async function tfjsMlp(): Promise<TfjsMlpRow[]> {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(
    `${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`,
  );
  tf.enableProdMode();
  const rows: TfjsMlpRow[] = [];
  let round = 0;
  for (const backend of ["cpu", "wasm"] as const) {
    await tf.setBackend(backend);
    await tf.ready();
    const cases: [string, () => import("@tensorflow/tfjs-core").Optimizer][] = [
      ["tf.train.adam", () => tf.train.adam(1e-3)],
      ["momenta adam", () => tfjsOptimizer(m.adam({ lr: 1e-3 }))],
      ["momenta adamw", () => tfjsOptimizer(m.adamw({ lr: 1e-3, weightDecay: 0.01 }))],
      ["momenta adam, ops path", () => tfjsOptimizer(m.adam({ lr: 1e-3 }), { path: "ops" })],
      [
        "momenta adamw, ops path",
        () => tfjsOptimizer(m.adamw({ lr: 1e-3, weightDecay: 0.01 }), { path: "ops" }),
      ],
    ];
    for (const [name, make] of cases) {
      round++;
      const vars = SHAPES.map(([n, s]) =>
        tf.variable(tf.randomNormal(s, 0, 0.05, "float32", 1), true, `${n}#${round}`),
      );
      const grads = Object.fromEntries(
        vars.map((v) => [v.name, tf.randomNormal(v.shape, 0, 0.01, "float32", 2)]),
      );
      const opt = make();
      const result: Measurement = measure(
        () => {
          opt.applyGradients(grads as never);
        },
        { n: MLP_PARAMS, runs: 5, budgetSeconds: 6, sync: () => void vars[0]!.dataSync() },
      );
      rows.push({ backend, optimizer: name, mparams: result.median, runs: result.runs });
      opt.dispose();
      tf.dispose([...vars, ...Object.values(grads)]);
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await tfjsMlp())
    console.log(`${r.backend} ${r.optimizer}: ${r.mparams.toFixed(1)} M params/s`);
}
