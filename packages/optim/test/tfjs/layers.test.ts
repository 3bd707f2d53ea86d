/** With tfjs-layers: model.compile/fit, and model.save(..., { includeOptimizer: true }) round trips. */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import * as tfl from "@tensorflow/tfjs-layers";
import * as m from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function model() {
  const net = tfl.sequential();
  net.add(
    tfl.layers.dense({
      units: 8,
      inputShape: [4],
      activation: "tanh",
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  net.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return net;
}

const transform = () =>
  m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: 0.01, weightDecay: 0.05, mask: m.excludeBiasAndNorm }));

describe("tfjs-layers", () => {
  it("compile + fit trains, and a model saved with its optimizer resumes identically", async () => {
    const x = tf.randomNormal([32, 4], 0, 1, "float32", 3);
    const y = tf.randomNormal([32, 3], 0, 1, "float32", 4);
    const net = model();
    net.compile({ optimizer: tfjsOptimizer(transform(), { name: "layers-test" }), loss: "meanSquaredError" });
    const h = await net.fit(x, y, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses[4]!).toBeLessThan(losses[0]!);

    let saved: tf.io.ModelArtifacts | undefined;
    await net.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
      { includeOptimizer: true },
    );
    expect(saved?.weightSpecs?.some((s) => s.name.endsWith("/state"))).toBe(true);

    await net.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const straight = net.getWeights().map((w) => Array.from(w.dataSync()));

    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    await loaded.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const resumed = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(resumed).toEqual(straight);
    tf.dispose([x, y]);
    net.dispose();
    loaded.dispose();
  });

  it("a model trained on the ops path (webgl's) resumes on the arrays path (cpu's) from its save", async () => {
    const x = tf.randomNormal([32, 4], 0, 1, "float32", 3);
    const y = tf.randomNormal([32, 3], 0, 1, "float32", 4);
    const net = model();
    net.compile({
      optimizer: tfjsOptimizer(transform(), { name: "layers-ops", path: "ops" }),
      loss: "meanSquaredError",
    });
    await net.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    let saved: tf.io.ModelArtifacts | undefined;
    await net.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
      { includeOptimizer: true },
    );
    await net.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const straight = net.getWeights().map((w) => w.dataSync().slice());

    tfjsOptimizer(transform(), { name: "layers-ops", path: "arrays" }); // what loading builds now
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    await loaded.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    expect((loaded.optimizer as unknown as { path: string }).path).toBe("arrays");
    loaded.getWeights().forEach((w, i) => {
      const a = w.dataSync();
      const b = straight[i]!;
      const scale = Math.max(...Array.from(b, Math.abs));
      a.forEach((v, j) => {
        expect(Math.abs(v - b[j]!)).toBeLessThan(1e-5 * scale);
      });
    });
    tf.dispose([x, y]);
    net.dispose();
    loaded.dispose();
  });
});
