/** momenta transforms as TF.js optimizers: parity with the core and with tf.train.adam, no leaks, save/load. */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import * as m from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** A tiny least-squares problem over two variables; gradients from TF.js autodiff. */
function problem(seed: number, prefix = "") {
  const x = tf.randomNormal([16, 4], 0, 1, "float32", seed);
  const y = tf.randomNormal([16, 3], 0, 1, "float32", seed + 1);
  const w = tf.variable(tf.randomNormal([4, 3], 0, 0.5, "float32", seed + 2), true, `${prefix}w${seed}`);
  const b = tf.variable(tf.zeros([3]), true, `${prefix}b${seed}`);
  const loss = () => tf.tidy(() => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar);
  const dispose = () => tf.dispose([x, y, w, b]);
  return { w, b, loss, dispose };
}

/**
 * Saves `opt` (already stepped on `a`) with getWeights, takes 6 more steps, then restores the params
 * and a fresh optimizer from the saved weights and redoes them: the same weights, bit for bit.
 */
async function resumesExactly(a: ReturnType<typeof problem>, opt: tf.Optimizer, make: () => tf.Optimizer) {
  const saved = await opt.getWeights();
  const snapshot = { w: a.w.dataSync().slice(), b: a.b.dataSync().slice() };
  for (let t = 0; t < 6; t++) tf.dispose(opt.minimize(a.loss, true) ?? []);
  const straight = a.w.dataSync().slice();
  a.w.assign(tf.tensor(snapshot.w, [4, 3]));
  a.b.assign(tf.tensor(snapshot.b, [3]));
  const again = make();
  await again.setWeights(saved);
  for (let t = 0; t < 6; t++) tf.dispose(again.minimize(a.loss, true) ?? []);
  expect(Array.from(a.w.dataSync())).toEqual(Array.from(straight));
  tf.dispose(saved.map((s) => s.tensor));
  return again;
}

describe("tfjsOptimizer", () => {
  it("trains exactly as the core optimizer does (same kernel, same float32 arithmetic)", () => {
    const p = problem(1);
    const opt = tfjsOptimizer(m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: 0.05, weightDecay: 0.1 })));
    // the core, fed the same gradients, on params packed like the adapter's (so the same WASM kernel runs)
    const params = m.packTree({
      b1: { data: new Float32Array(3), shape: [3] },
      w1: { data: Float32Array.from(p.w.dataSync()), shape: [4, 3] },
    }) as { b1: { data: Float32Array }; w1: { data: Float32Array } };
    const core = m.createOptimizer(
      m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: 0.05, weightDecay: 0.1 })),
      params,
    );
    for (let t = 0; t < 20; t++) {
      const { grads, value } = tf.variableGrads(p.loss);
      const gw = grads.w1!.dataSync().slice() as Float32Array;
      const gb = grads.b1!.dataSync().slice() as Float32Array;
      opt.applyGradients(grads);
      core.step({ b1: { data: gb, shape: [3] }, w1: { data: gw, shape: [4, 3] } });
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(Array.from(p.w.dataSync())).toEqual(Array.from(params.w1.data));
    expect(Array.from(p.b.dataSync())).toEqual(Array.from(params.b1.data));
    expect(opt.iterations).toBe(20);
    expect(opt.momenta?.stepCount).toBe(20);
    opt.dispose();
    p.dispose();
  });

  it("transforms that keep the params they start from see the variables' values (lookahead, prodigy)", () => {
    for (const [name, tx] of [
      ["lookahead", m.lookahead(m.sgd({ lr: 0.05 }), { k: 3 })],
      ["prodigy", m.prodigy()],
    ] as const) {
      const p = problem(1);
      const opt = tfjsOptimizer(tx);
      // the core, fed the same gradients, from the same values (w starts random, b at 0)
      const params = {
        b1: { data: Float32Array.from(p.b.dataSync()), shape: [3] },
        w1: { data: Float32Array.from(p.w.dataSync()), shape: [4, 3] },
      };
      const core = m.createOptimizer(tx as m.AnyTransformation, params, { kernel: "reference" });
      for (let t = 0; t < 9; t++) {
        const { grads, value } = tf.variableGrads(p.loss);
        const gw = grads.w1!.dataSync().slice() as Float32Array;
        const gb = grads.b1!.dataSync().slice() as Float32Array;
        opt.applyGradients(grads);
        core.step({ b1: { data: gb, shape: [3] }, w1: { data: gw, shape: [4, 3] } });
        tf.dispose([value, ...Object.values(grads)]);
      }
      expect(Array.from(p.w.dataSync()), name).toEqual(Array.from(params.w1.data));
      expect(Array.from(p.b.dataSync()), name).toEqual(Array.from(params.b1.data));
      opt.dispose();
      p.dispose();
    }
  });

  it("momenta's adam is a drop-in for tf.train.adam (equal to float32 rounding)", () => {
    const a = problem(3);
    const c = problem(3, "tf_");
    const ours = tfjsOptimizer(m.adam({ lr: 0.01, eps: 1e-7 }));
    const theirs = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    for (let t = 0; t < 50; t++) {
      tf.dispose(ours.minimize(a.loss, true) ?? []);
      tf.dispose(theirs.minimize(c.loss, true, [c.w, c.b]) ?? []);
    }
    const wa = a.w.dataSync();
    const wc = c.w.dataSync();
    for (let i = 0; i < wa.length; i++) expect(Math.abs(wa[i]! - wc[i]!)).toBeLessThan(1e-5);
    ours.dispose();
    theirs.dispose();
    a.dispose();
    c.dispose();
  });

  it("leaks no tensors per step", () => {
    const p = problem(5);
    const opt = tfjsOptimizer(m.sgd({ lr: 0.01, momentum: 0.9 }));
    tf.dispose(opt.minimize(p.loss, true) ?? []);
    const before = tf.memory().numTensors;
    for (let t = 0; t < 25; t++) tf.dispose(opt.minimize(p.loss, true) ?? []);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    p.dispose();
  });

  it("getWeights/setWeights carry the whole state: a restored optimizer continues identically", async () => {
    const make = () =>
      tfjsOptimizer(
        m.adamw({
          lr: m.warmupCosineDecay({ peak: 0.05, warmupSteps: 3, decaySteps: 30 }),
          weightDecay: 0.05,
        }),
      );
    const a = problem(7);
    const opt = make();
    for (let t = 0; t < 6; t++) tf.dispose(opt.minimize(a.loss, true) ?? []);
    const again = await resumesExactly(a, opt, make);
    expect(again.iterations).toBe(12);
    opt.dispose();
    again.dispose();
    a.dispose();
  });

  it("compact state (bfloat16, int8) trains as the core does and resumes bit for bit from getWeights", async () => {
    for (const stateDtype of ["bfloat16", "int8"] as const) {
      const make = () => tfjsOptimizer(m.adamw({ lr: 0.05, stateDtype, stateSeed: 3 }));
      const a = problem(9, stateDtype);
      const opt = make();
      const core = m.createOptimizer(m.adamw({ lr: 0.05, stateDtype, stateSeed: 3 }), {
        b: new Float32Array(a.b.dataSync()),
        w: new Float32Array(a.w.dataSync()),
      });
      for (let t = 0; t < 6; t++) {
        const { grads, value } = tf.variableGrads(a.loss);
        const g = { b: grads[a.b.name]!.dataSync().slice(), w: grads[a.w.name]!.dataSync().slice() };
        opt.applyGradients(grads);
        core.step(g as m.Tree);
        tf.dispose([value, ...Object.values(grads)]);
      }
      expect(Array.from(a.w.dataSync())).toEqual(Array.from((core.params as { w: Float32Array }).w));
      expect(opt.momenta!.stateBytes).toBe(core.stateBytes);
      const again = await resumesExactly(a, opt, make);
      opt.dispose();
      again.dispose();
      a.dispose();
    }
  });

  it("repeated getWeights (every save) leaves no tensors behind: the optimizer owns and frees them", async () => {
    const p = problem(13);
    const opt = tfjsOptimizer(m.adam({ lr: 0.01 }));
    tf.dispose(opt.minimize(p.loss, true) ?? []);
    await opt.getWeights();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await opt.getWeights();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    p.dispose();
  });

  it("masks select variables by name", () => {
    const p = problem(9);
    const opt = tfjsOptimizer(m.adamw({ lr: 0.1, weightDecay: 0.5, mask: (path) => path.startsWith("w") }));
    const zero = { w9: tf.zerosLike(p.w), b9: tf.onesLike(p.b) };
    const w0 = p.w.dataSync().slice();
    opt.applyGradients({ w9: zero.w9, b9: tf.zerosLike(p.b) });
    const w1 = p.w.dataSync();
    for (let i = 0; i < w0.length; i++) expect(w1[i]).toBeCloseTo(w0[i]! * (1 - 0.1 * 0.5), 6);
    expect(Array.from(p.b.dataSync())).toEqual([0, 0, 0]);
    tf.dispose(Object.values(zero));
    opt.dispose();
    p.dispose();
  });

  it("refuses what it cannot do, clearly", () => {
    const p = problem(11);
    const opt = tfjsOptimizer(m.sgd({ lr: 0.1 }));
    const g = tf.onesLike(p.w);
    opt.applyGradients({ w11: g, b11: tf.onesLike(p.b) });
    expect(() => opt.applyGradients({ w11: g })).toThrow(
      /gradients are for \[w11\] but this optimizer trains \[b11, w11\]/,
    );
    expect(() => tfjsOptimizer({} as never)).toThrow(/expected a momenta gradient transformation/);
    opt.dispose();
    p.dispose();
  });
});
