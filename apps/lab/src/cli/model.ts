/**
 * The models `momenta train` trains, as tfjs-layers Sequentials with seeded initializers: an MLP
 * (784 → hidden… → 10) and a small CNN (28×28×1 → [3×3 conv + ReLU + 2×2 max-pool] per filter count →
 * hidden… → 10). Both take the flat 784-pixel image and end in a softmax. Layers carry fixed names
 * (`hidden1`, `conv1`, `output`…), so variables — and so momenta's leaf paths — are the same in
 * every run.
 */

import { CLASSES, PIXELS } from "@momenta/mnist";
import * as tfl from "@tensorflow/tfjs-layers";

export const MODELS = ["mlp", "cnn"] as const;
export type ModelType = (typeof MODELS)[number];

export interface ModelSpec {
  type: ModelType;
  /** Units of the dense hidden layers (ReLU), in order; [] for none. */
  hidden: number[];
  /** Filters of the CNN's conv blocks, in order (the MLP ignores them). */
  filters: number[];
}

/** The same `seed` gives the same initial weights: each layer draws from its own seed. */
export function buildModel(spec: ModelSpec, seed: number): tfl.Sequential {
  let layer = 0;
  const init = () => tfl.initializers.glorotUniform({ seed: seed * 97 + ++layer });
  const model = tfl.sequential({ name: `momenta_${spec.type}` });
  if (spec.type === "cnn") {
    model.add(tfl.layers.reshape({ name: "image", targetShape: [28, 28, 1], inputShape: [PIXELS] }));
    spec.filters.forEach((filters, i) => {
      model.add(
        tfl.layers.conv2d({
          name: `conv${i + 1}`,
          filters,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: init(),
        }),
      );
      model.add(tfl.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2 }));
    });
    model.add(tfl.layers.flatten({ name: "flatten" }));
  }
  spec.hidden.forEach((units, i) => {
    model.add(
      tfl.layers.dense({
        name: `hidden${i + 1}`,
        units,
        activation: "relu",
        kernelInitializer: init(),
        ...(i === 0 && spec.type === "mlp" ? { inputShape: [PIXELS] } : {}),
      }),
    );
  });
  model.add(
    tfl.layers.dense({
      name: "output",
      units: CLASSES,
      activation: "softmax",
      kernelInitializer: init(),
      ...(spec.hidden.length === 0 && spec.type === "mlp" ? { inputShape: [PIXELS] } : {}),
    }),
  );
  return model;
}

/** "mlp 784-128-10" / "cnn conv8-conv16-128-10": for logs and tables. */
export function describeModel(spec: ModelSpec): string {
  const dense = [...spec.hidden, CLASSES].join("-");
  return spec.type === "mlp"
    ? `mlp ${PIXELS}-${dense}`
    : `cnn ${spec.filters.map((f) => `conv${f}`).join("-")}-${dense}`;
}
