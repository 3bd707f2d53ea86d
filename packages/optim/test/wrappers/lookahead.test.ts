import { createOptimizer, lookahead, sgd } from "momenta-optim";
import { describe, expect, it } from "vitest";

describe("lookahead", () => {
  it("every k-th update pulls the slow weights α of the way to the fast ones and resets the params there", () => {
    const params = { w: Float64Array.from([0]) };
    const opt = createOptimizer(lookahead(sgd({ lr: 1 }), { k: 2, alpha: 0.5 }), params);
    opt.step({ w: Float64Array.from([-1]) }); // fast: 1
    expect(params.w[0]).toBe(1);
    opt.step({ w: Float64Array.from([-1]) }); // fast: 2 → slow = 0 + 0.5·(2 − 0) = 1, params reset to 1
    expect(params.w[0]).toBe(1);
    opt.step({ w: Float64Array.from([-4]) }); // fast: 5
    opt.step({ w: Float64Array.from([0]) }); // fast: 5 → slow = 1 + 0.5·4 = 3
    expect(params.w[0]).toBe(3);
    expect(opt.state.slow[0]![0]).toBe(3);
  });
  it("with α = 1 it is the inner optimizer", () => {
    const a = { w: Float64Array.from([1, 2]) };
    const b = { w: Float64Array.from([1, 2]) };
    const oa = createOptimizer(lookahead(sgd({ lr: 0.1, momentum: 0.9 }), { k: 3, alpha: 1 }), a);
    const ob = createOptimizer(sgd({ lr: 0.1, momentum: 0.9 }), b);
    for (let i = 0; i < 10; i++) {
      oa.step({ w: a.w.map((x) => x - 3) });
      ob.step({ w: b.w.map((x) => x - 3) });
    }
    for (let j = 0; j < 2; j++) expect(a.w[j]).toBeCloseTo(b.w[j]!, 14);
  });
});
