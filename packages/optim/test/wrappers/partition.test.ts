import { adamw, chain, createOptimizer, freeze, partition, sgd, type Tree } from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

describe("partition (param groups)", () => {
  it("each group trains exactly as its own optimizer on its own leaves", () => {
    const params = randomTree("float64", 4) as Record<string, Tree>;
    const tx = partition(
      { body: adamw({ lr: 0.01, weightDecay: 0.1 }), head: sgd({ lr: 0.05, momentum: 0.9 }) },
      (path) => (path.startsWith("dense") ? "head" : "body"),
    );
    const opt = createOptimizer(tx, params);
    // the same leaves, trained separately
    const head = {
      "dense.bias": (params.dense as { bias: Float64Array }).bias.slice(),
      "dense.weight": (params.dense as { weight: { data: Float64Array } }).weight.data.slice(),
    };
    const body = {
      "blocks.0": (params.blocks as Float64Array[])[0]!.slice(),
      "blocks.1": (params.blocks as Float64Array[])[1]!.slice(),
      gain: (params.gain as Float64Array).slice(),
    };
    // On the reference chain, as partition runs (float64 would otherwise take the WASM kernels).
    const oh = createOptimizer(sgd({ lr: 0.05, momentum: 0.9 }), head, { kernel: "reference" });
    const ob = createOptimizer(adamw({ lr: 0.01, weightDecay: 0.1 }), body, { kernel: "reference" });
    const grads = quadraticGrads("float64", 5);
    for (let t = 0; t < 15; t++) {
      const g = grads(params) as Record<string, Tree>;
      opt.step(g);
      const gd = g.dense as { bias: Float64Array; weight: { data: Float64Array } };
      oh.step({ "dense.bias": gd.bias, "dense.weight": gd.weight.data });
      ob.step({
        "blocks.0": (g.blocks as Float64Array[])[0]!,
        "blocks.1": (g.blocks as Float64Array[])[1]!,
        gain: g.gain as Float64Array,
      });
    }
    expect(snapshot(params)).toEqual(
      [body["blocks.0"], body["blocks.1"], head["dense.bias"], head["dense.weight"], body.gain].map((a) =>
        Array.from(a),
      ),
    );
  });
  it("labels can be a tree (a label may stand for a subtree); unknown labels are named", () => {
    const params = randomTree("float32", 1);
    const labels = { blocks: "slow", dense: { bias: "fast", weight: "slow" }, gain: "fast" };
    const tx = partition({ slow: sgd({ lr: 0.001 }), fast: sgd({ lr: 0.1 }) }, labels);
    createOptimizer(tx, params).step(randomTree("float32", 2));
    expect(() => createOptimizer(partition({ slow: sgd() }, labels), params)).toThrow(
      /'dense\.bias' is labelled 'fast', which has no transform \(have: slow\)/,
    );
  });
});

describe("freeze", () => {
  it("frozen leaves never move, even under decoupled decay, when freeze comes last", () => {
    const params = randomTree("float64", 3);
    const before = snapshot(params);
    const opt = createOptimizer(
      chain(
        adamw({ lr: 0.1, weightDecay: 0.5 }),
        freeze((p) => p.startsWith("blocks")),
      ),
      params,
    );
    const grads = quadraticGrads("float64", 4);
    for (let t = 0; t < 5; t++) opt.step(grads(params));
    const after = snapshot(params);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after[3]).not.toEqual(before[3]);
  });
});
