/** Schedule-Free AdamW against facebookresearch/schedule_free's AdamWScheduleFreeReference, by hand. */
import {
  chain,
  clipByGlobalNorm,
  createOptimizer,
  type Dtype,
  leavesOf,
  type ScheduleFreeAdamwOptions,
  scheduleFreeAdamw,
  scheduleFreeEval,
  scheduleFreeEvalParams,
  scheduleFreeTrain,
  type Tree,
} from "momenta-optim";
import { describe, expect, it } from "vitest";
import { quadraticGrads, randomTree, snapshot } from "../helpers.ts";

const arr = (dtype: Dtype, xs: number[]) =>
  dtype === "float32" ? Float32Array.from(xs) : Float64Array.from(xs);

interface Reference {
  /** group['lr'] at step k (a scheduler may change it between steps). */
  lr: number | ((k: number) => number);
  betas: [number, number];
  eps: number;
  weight_decay: number;
  warmup_steps: number;
  r: number;
  weight_lr_power: number;
  decay_at_z: boolean;
}

/** `AdamWScheduleFreeReference.step`, for one tensor, with the reference's variable names. Returns y and x after each step. */
function referenceByHand(p: number[], grads: number[][], group: Reference): { y: number[]; x: number[] }[] {
  let k = 0;
  let lr_max = -1;
  let weight_sum = 0;
  let z = p.slice();
  let x = p.slice();
  let y = p.slice();
  let exp_avg_sq = p.map(() => 0);
  const [beta1, beta2] = group.betas;
  const out: { y: number[]; x: number[] }[] = [];
  for (const grad of grads) {
    const sched = k < group.warmup_steps ? (k + 1) / group.warmup_steps : 1;
    const bias_correction2 = 1 - beta2 ** (k + 1);
    const group_lr = typeof group.lr === "number" ? group.lr : group.lr(k);
    const lr = group_lr * sched * Math.sqrt(bias_correction2);
    lr_max = Math.max(lr, lr_max);
    const weight = (k + 1) ** group.r * lr_max ** group.weight_lr_power;
    weight_sum = weight_sum + weight;
    const ckp1 = weight_sum === 0 ? 0 : weight / weight_sum; // ZeroDivisionError → 0
    if (group.weight_decay !== 0) {
      const decay_point = group.decay_at_z ? z : y;
      z = z.map((zi, i) => zi - lr * group.weight_decay * decay_point[i]!);
    }
    exp_avg_sq = exp_avg_sq.map((v, i) => v * beta2 + (1 - beta2) * grad[i]! * grad[i]!);
    const denom = exp_avg_sq.map((v) => Math.sqrt(v) + group.eps);
    z = z.map((zi, i) => zi - lr * (grad[i]! / denom[i]!));
    x = x.map((xi, i) => xi * (1 - ckp1) + z[i]! * ckp1);
    y = x.map((xi, i) => xi * beta1 + z[i]! * (1 - beta1));
    out.push({ y: y.slice(), x: x.slice() });
    k = k + 1;
  }
  return out;
}

const P0 = [0.5, -1, 2];
const GRADS = [
  [0.3, -0.2, 0.1],
  [-0.1, 0.4, 0.2],
  [0.2, 0.1, -0.3],
  [0.05, -0.3, 0.25],
  [-0.2, 0.2, 0.1],
];
const REF: Reference = {
  lr: 0.1,
  betas: [0.9, 0.99],
  eps: 1e-8,
  weight_decay: 0.1,
  warmup_steps: 3,
  r: 0.5,
  weight_lr_power: 2,
  decay_at_z: false,
};
const ours = (g: Reference): ScheduleFreeAdamwOptions => ({
  lr: g.lr,
  betas: g.betas,
  eps: g.eps,
  weightDecay: g.weight_decay,
  warmupSteps: g.warmup_steps,
  r: g.r,
  weightLrPower: g.weight_lr_power,
  decayAtZ: g.decay_at_z,
});

describe("scheduleFreeAdamw: steps by hand (the reference implementation)", () => {
  for (const dtype of ["float64", "float32"] as const) {
    for (const group of [
      REF,
      { ...REF, decay_at_z: true, r: 0, weight_lr_power: 0, warmup_steps: 0 },
      { ...REF, weight_decay: 0, betas: [0.5, 0.999] as [number, number], warmup_steps: 10 },
      // a decaying lr: the averaging weights use the largest lr so far, not the current one
      {
        ...REF,
        lr: (k: number) => 0.2 / (1 + k) ** 2,
        warmup_steps: 0,
        betas: [0.9, 0.5] as [number, number],
      },
    ]) {
      it(`params are y, eval params are x, for five steps: ${JSON.stringify({ ...group, lr: String(group.lr) })} (${dtype})`, () => {
        const expected = referenceByHand(P0, GRADS, group);
        const params = { w: arr(dtype, P0) };
        const opt = createOptimizer(scheduleFreeAdamw(ours(group)), params);
        const digits = dtype === "float64" ? 14 : 6;
        GRADS.forEach((g, t) => {
          opt.step({ w: arr(dtype, g) });
          expect(Array.from(params.w)).toEqual(expected[t]!.y.map((v) => expect.closeTo(v, digits)));
          const x = scheduleFreeEvalParams(opt.state, params) as { w: Float64Array };
          expect(Array.from(x.w)).toEqual(expected[t]!.x.map((v) => expect.closeTo(v, digits)));
        });
      });
    }
  }
  it("the defaults are the reference's (lr 0.0025, betas [0.9, 0.999], eps 1e-8, no decay, no warmup, r 0, power 2)", () => {
    const expected = referenceByHand(P0, GRADS.slice(0, 2), {
      lr: 0.0025,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      warmup_steps: 0,
      r: 0,
      weight_lr_power: 2,
      decay_at_z: false,
    });
    const params = { w: Float64Array.from(P0) };
    const opt = createOptimizer(scheduleFreeAdamw(), params);
    opt.step({ w: Float64Array.from(GRADS[0]!) });
    opt.step({ w: Float64Array.from(GRADS[1]!) });
    expect(Array.from(params.w)).toEqual(expected[1]!.y.map((v) => expect.closeTo(v, 15)));
  });
  it("z and x start from the params at the first step, not at construction (as the reference)", () => {
    const params = { w: Float64Array.from([9, 9, 9]) };
    const opt = createOptimizer(scheduleFreeAdamw(ours(REF)), params);
    params.w.set(P0); // e.g. weights loaded after the optimizer was made
    opt.step({ w: Float64Array.from(GRADS[0]!) });
    const [expected] = referenceByHand(P0, GRADS.slice(0, 1), REF);
    expect(Array.from(params.w)).toEqual(expected!.y.map((v) => expect.closeTo(v, 15)));
  });
});

// Every kernel: the fused ones keep z and x in their own storage, which the switch reads and writes.
describe.each(["reference", "js", "wasm"] as const)(
  "scheduleFreeAdamw: the eval/train switch (%s kernel)",
  (kernel) => {
    function trained(dtype: Dtype) {
      const params = randomTree(dtype, 3);
      const grads = quadraticGrads(dtype, 4);
      const opt = createOptimizer(
        scheduleFreeAdamw({ lr: 0.05, weightDecay: 0.01, warmupSteps: 5 }),
        params,
        {
          kernel,
        },
      );
      expect(opt.kernel).toBe(kernel);
      for (let t = 0; t < 12; t++) opt.step(grads(params));
      return { params, opt, grads };
    }
    for (const dtype of ["float32", "float64"] as const) {
      it(`eval puts x in the params, train puts y back bit for bit (${dtype})`, () => {
        const { params, opt } = trained(dtype);
        const y = snapshot(params);
        const x = snapshot(scheduleFreeEvalParams(opt.state, params));
        expect(x).not.toEqual(y);
        scheduleFreeEval(opt.state, params);
        expect(snapshot(params)).toEqual(x);
        expect(snapshot(scheduleFreeEvalParams(opt.state, params))).toEqual(x); // in eval mode: the params
        scheduleFreeEval(opt.state, params); // already in eval mode: nothing happens
        expect(snapshot(params)).toEqual(x);
        scheduleFreeTrain(opt.state, params);
        expect(snapshot(params)).toEqual(y);
        scheduleFreeTrain(opt.state, params);
        expect(snapshot(params)).toEqual(y);
      });
    }
    it("stepping in eval mode throws and changes nothing; after train it continues as if never switched", () => {
      const a = trained("float64");
      const b = trained("float64");
      scheduleFreeEval(a.opt.state, a.params);
      const saved = JSON.stringify(a.opt.stateDict());
      const x = snapshot(a.params);
      expect(() => a.opt.step(randomTree("float64", 77))).toThrow(
        /scheduleFreeAdamw: the params hold x \(eval mode\)/,
      );
      expect(JSON.stringify(a.opt.stateDict())).toBe(saved);
      expect(snapshot(a.params)).toEqual(x);
      scheduleFreeTrain(a.opt.state, a.params);
      for (let t = 0; t < 5; t++) {
        a.opt.step(a.grads(a.params));
        b.opt.step(b.grads(b.params));
      }
      expect(snapshot(a.params)).toEqual(snapshot(b.params));
    });
    it("a checkpoint saved in eval mode (params = x) resumes bit-identically", () => {
      const straight = trained("float32");
      const resumed = trained("float32");
      scheduleFreeEval(resumed.opt.state, resumed.params);
      const text = JSON.stringify({ params: snapshot(resumed.params), opt: resumed.opt.stateDict() });
      const saved = JSON.parse(text);
      const params = randomTree("float32", 99);
      leavesOf(params).forEach((leaf, i) => {
        leaf.set(saved.params[i]);
      });
      const opt = createOptimizer(
        scheduleFreeAdamw({ lr: 0.05, weightDecay: 0.01, warmupSteps: 5 }),
        params,
        {
          kernel,
        },
      );
      opt.loadStateDict(saved.opt);
      scheduleFreeTrain(opt.state, params);
      for (let t = 0; t < 6; t++) {
        opt.step(resumed.grads(params));
        straight.opt.step(straight.grads(straight.params));
      }
      expect(snapshot(params)).toEqual(snapshot(straight.params));
    });
  },
);

describe("scheduleFreeAdamw: the switch inside a chain", () => {
  it("before the first step x is the params; the switch finds the state inside a chain", () => {
    const params: Tree = { w: Float64Array.from([1, 2]) };
    const opt = createOptimizer(chain(clipByGlobalNorm(1), scheduleFreeAdamw()), params);
    scheduleFreeEval(opt.state, params);
    expect(snapshot(params)).toEqual([[1, 2]]);
    scheduleFreeTrain(opt.state, params);
    opt.step({ w: Float64Array.from([10, -10]) });
    expect(snapshot(scheduleFreeEvalParams(opt.state, params))).not.toEqual([[1, 2]]);
    expect(() => scheduleFreeEval([], params)).toThrow(/scheduleFreeEval: no schedule-free state found/);
    expect(() =>
      scheduleFreeEval(opt.state, { a: new Float64Array(1), b: new Float64Array(1), c: new Float64Array(1) }),
    ).toThrow(/made for 1 leaves, params have 3/);
  });
});
