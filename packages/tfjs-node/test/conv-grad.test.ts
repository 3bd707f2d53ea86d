/** The CLI's Conv2DBackpropFilter kernel equals tfjs-backend-cpu's bit for bit, and gives the wasm backend one. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import { conv2dFilterGradient, registerConvFilterGradient } from "@momenta/tfjs-node";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { Mulberry32 } from "momenta-optim";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
setWasmPaths(`${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`);

type Case = {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: "same" | "valid";
};
const CASES: Case[] = [
  { x: [3, 9, 8, 1], filter: [3, 3, 1, 4], strides: 1, pad: "same" },
  { x: [2, 7, 7, 3], filter: [3, 2, 3, 5], strides: 2, pad: "same" },
  { x: [2, 8, 6, 2], filter: [5, 3, 2, 3], strides: 1, pad: "valid" },
  { x: [1, 9, 9, 2], filter: [3, 3, 2, 2], strides: 2, pad: "valid" },
];

function data(n: number, seed: number, zeros: number): Float32Array {
  const r = new Mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r.next() < zeros ? 0 : r.next() * 2 - 1));
}

function kernel(c: Case, x: Float32Array, dy: Float32Array, dyShape: number[]): Float32Array {
  const out = tf
    .engine()
    .runKernel(
      "Conv2DBackpropFilter",
      { x: tf.tensor4d(x, c.x), dy: tf.tensor(dy, dyShape) },
      { strides: c.strides, pad: c.pad, dataFormat: "NHWC", filterShape: c.filter },
    ) as tf.Tensor;
  const values = out.dataSync() as Float32Array;
  return values.slice();
}

describe("Conv2DBackpropFilter", () => {
  it("matches tfjs-backend-cpu's own kernel exactly (zeros skipped; NaN still propagates)", async () => {
    await tf.setBackend("cpu");
    const results: {
      mine: Float32Array;
      cpu: Float32Array;
      c: Case;
      x: Float32Array;
      dy: Float32Array;
      dyShape: number[];
    }[] = [];
    CASES.forEach((c, k) => {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
      const dyShape = info.outShape as number[];
      const x = data(
        c.x.reduce((a, b) => a * b),
        10 + k,
        0.4,
      );
      const dy = data(
        dyShape.reduce((a, b) => a * b),
        20 + k,
        0,
      );
      if (k === 3) dy[5] = Number.NaN;
      const cpu = tf.tidy(() => kernel(c, x, dy, dyShape)); // tfjs's kernel: not replaced yet
      results.push({ mine: conv2dFilterGradient(x, c.x, dy, info), cpu, c, x, dy, dyShape });
    });
    for (const r of results) expect(Array.from(r.mine)).toEqual(Array.from(r.cpu));
    expect(results[3]!.mine.some(Number.isNaN)).toBe(true);

    registerConvFilterGradient();
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      for (const r of results) {
        const before = tf.memory().numTensors;
        const values = tf.tidy(() => kernel(r.c, r.x, r.dy, r.dyShape));
        expect(tf.memory().numTensors).toBe(before);
        expect(Array.from(values), backend).toEqual(Array.from(r.cpu));
      }
    }
    expect(tf.getBackend()).toBe("wasm");
  });
});
