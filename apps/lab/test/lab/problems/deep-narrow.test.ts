/** The deep narrow MLP's per-layer trace: gradients vanish toward the input of a sigmoid stack. */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { sgd } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { deepNarrowSpec, traceLayers } from "../../../src/lab/problems/deep-narrow.ts";
import { digitTensors, disposeDigits, labBackend, mnistSplit } from "../../../src/lab/problems/mnist.ts";

describe("traceLayers", () => {
  it("reports every layer, with gradients shrinking toward the input", async () => {
    await labBackend();
    const train = digitTensors(mnistSplit(128, 10).train);
    const spec = deepNarrowSpec({ depth: 6, width: 16, activation: "sigmoid", seed: 1 });
    expect(spec.sizes).toEqual([784, 16, 16, 16, 16, 16, 16, 10]);
    const t = traceLayers(spec, sgd({ lr: 0.1 }), train, { steps: 3, batchSize: 32, seed: 2 });
    disposeDigits(train);
    for (const key of ["gradNorm", "relGrad", "relUpdate", "gradRms", "movement"] as const) {
      expect(t[key]).toHaveLength(7);
      expect(t[key].every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    }
    expect(t.losses).toHaveLength(3);
    expect(t.gradNorm[1]!).toBeLessThan(t.gradNorm[6]! / 10);
    // Plain SGD: the relative update is lr·‖g‖/‖W‖ exactly (to float32 rounding).
    t.relUpdate.forEach((u, l) => {
      expect(u).toBeCloseTo(0.1 * t.relGrad[l]!, 6);
    });
  });
});
