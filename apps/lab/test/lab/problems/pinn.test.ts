import { useBackend } from "@momenta/tfjs-node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  collocationPoints,
  exactSolution,
  pinnData,
  pinnLoss,
  solutionError,
} from "../../../src/lab/problems/pinn.ts";
import { tanhNet } from "../../../src/lab/problems/tanh-net.ts";

beforeAll(async () => {
  await useBackend("cpu");
});

describe("pinn problem", () => {
  it("the exact solution satisfies the ODE and the boundary conditions", () => {
    expect(exactSolution(0)).toBe(0);
    expect(Math.abs(exactSolution(1))).toBeLessThan(1e-15);
    const h = 1e-4;
    for (const x of [0.1, 0.37, 0.8]) {
      const d2 = (exactSolution(x + h) - 2 * exactSolution(x) + exactSolution(x - h)) / (h * h);
      expect(d2).toBeCloseTo(-(Math.PI ** 2) * Math.sin(Math.PI * x), 5);
    }
  });

  it("collocation points are seeded, sorted and inside (0, 1)", () => {
    const a = collocationPoints(16, 5);
    expect(Array.from(a)).toEqual(Array.from(collocationPoints(16, 5)));
    expect(Array.from(a)).not.toEqual(Array.from(collocationPoints(16, 6)));
    for (let i = 0; i < a.length; i++) {
      expect(a[i]).toBeGreaterThan(0);
      expect(a[i]).toBeLessThan(1);
      if (i > 0) expect(a[i]).toBeGreaterThanOrEqual(a[i - 1]!);
    }
  });

  it("a zero network has loss mean(π⁴ sin²(πx)) and max error 1", () => {
    const net = tanhNet([1, 4, 1], 1);
    for (const w of net.weights) w.assign(tf.zerosLike(w));
    const pts = collocationPoints(8, 2);
    const data = pinnData(pts);
    const expected = pts.reduce((s, x) => s + (Math.PI ** 2 * Math.sin(Math.PI * x)) ** 2, 0) / pts.length;
    expect(pinnLoss(net, data).dataSync()[0]).toBeCloseTo(expected, 2);
    const err = solutionError(net);
    expect(err.max).toBeCloseTo(1, 6);
    expect(err.l2).toBeCloseTo(Math.sqrt(0.5), 2);
    data.dispose();
    net.dispose();
  });
});
