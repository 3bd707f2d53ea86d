import {
  adamw,
  createOptimizer,
  injectHyperparams,
  leavesOf,
  sgd,
  type Tree,
  warmupCosineDecay,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

const schedule = warmupCosineDecay({ init: 0, peak: 0.05, warmupSteps: 5, decaySteps: 40 });

function train(opt: { step(g: Tree): void }, params: Tree, steps: number, seed = 6) {
  const grads = quadraticGrads("float64", seed);
  for (let t = 0; t < steps; t++) opt.step(grads(params));
}

describe("injectHyperparams: live hyperparameters", () => {
  it("untouched, it is the plain optimizer, bit for bit", () => {
    const a = randomTree("float64", 1);
    const b = randomTree("float64", 1);
    train(
      createOptimizer(injectHyperparams(adamw, { lr: schedule, weightDecay: 0.1, betas: [0.9, 0.99] }), a),
      a,
      30,
    );
    train(createOptimizer(adamw({ lr: schedule, weightDecay: 0.1, betas: [0.9, 0.99] }), b), b, 30);
    expect(snapshot(a)).toEqual(snapshot(b));
  });

  it("reads the value the next update will use, and records the values used", () => {
    const params = randomTree("float64", 1);
    const opt = createOptimizer(injectHyperparams(adamw, { lr: schedule, weightDecay: 0.1 }), params);
    expect(opt.hyperparams!.lr).toBe(schedule(0));
    train(opt, params, 7);
    expect(opt.hyperparams!.lr).toBeCloseTo(schedule(7), 15);
    expect(opt.state.hyperparams.lr).toBeCloseTo(schedule(6), 15);
    expect(Object.keys(opt.hyperparams!)).toEqual(["lr", "weightDecay"]);
  });

  it("a value set mid-run replaces the schedule, is validated, and survives save/resume", () => {
    const params = randomTree("float64", 2);
    const opt = createOptimizer(
      injectHyperparams(adamw, { lr: schedule, weightDecay: 0.1, betas: [0.9, 0.999] }),
      params,
    );
    train(opt, params, 5);
    const before = JSON.stringify(opt.stateDict());
    expect(() => {
      opt.hyperparams!.lr = -1;
    }).toThrow(/adamw: lr = -1 is outside the allowed range \[0, inf\)/);
    expect(() => {
      opt.hyperparams!["betas[1]"] = 1;
    }).toThrow(/adamw: betas\[1\] = 1 is outside/);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
    opt.hyperparams!.lr = 1e-3;
    opt.hyperparams!["betas[1]"] = 0.99;
    expect(opt.hyperparams!.lr).toBe(1e-3);

    // resume from the state dict: same trajectory as carrying on
    const saved = JSON.parse(JSON.stringify({ p: snapshot(params), s: opt.stateDict() }));
    train(opt, params, 10, 8);
    const resumedParams = randomTree("float64", 2);
    const resumed = createOptimizer(
      injectHyperparams(adamw, { lr: schedule, weightDecay: 0.1, betas: [0.9, 0.999] }),
      resumedParams,
    );
    const leaves = snapshot(resumedParams);
    expect(leaves.length).toBe(saved.p.length);
    resumed.loadStateDict(saved.s);
    expect(resumed.hyperparams!.lr).toBe(1e-3);
    expect(resumed.hyperparams!["betas[1]"]).toBe(0.99);
    // copy the saved params in and continue
    leavesOf(resumedParams).forEach((a, i) => {
      a.set(saved.p[i]);
    });
    train(resumed, resumedParams, 10, 8);
    expect(snapshot(resumedParams)).toEqual(snapshot(params));
  });

  it("setting lr changes the trajectory from then on", () => {
    const a = randomTree("float64", 3);
    const b = randomTree("float64", 3);
    const oa = createOptimizer(injectHyperparams(sgd, { lr: 0.1, momentum: 0.9 }), a);
    const ob = createOptimizer(injectHyperparams(sgd, { lr: 0.1, momentum: 0.9 }), b);
    train(oa, a, 3);
    train(ob, b, 3);
    expect(snapshot(a)).toEqual(snapshot(b));
    ob.hyperparams!.lr = 0;
    const frozen = snapshot(b);
    train(oa, a, 3);
    train(ob, b, 3);
    expect(snapshot(b)).toEqual(frozen);
    expect(snapshot(a)).not.toEqual(frozen);
  });

  it("a hyperparameter built as 0 keeps no state, so it cannot be switched on later", () => {
    const opt = createOptimizer(injectHyperparams(sgd, { lr: 0.1 }), randomTree("float64", 1));
    expect(opt.state.inner).toEqual([{ count: 0 }]); // the live lr's count; no momentum buffer
    expect(
      () =>
        (createOptimizer(injectHyperparams(sgd, { lr: 0.1, momentum: 0 }), randomTree("float64", 1))
          .hyperparams!.momentum = 0.9),
    ).toThrow(/momentum was 0 when the optimizer was built/);
  });

  it("plain optimizers have no live view", () => {
    expect(createOptimizer(adamw(), randomTree("float64", 1)).hyperparams).toBeUndefined();
  });
});
