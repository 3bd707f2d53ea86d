import { describe, expect, it } from "vitest";
import { adamw, createOptimizer, type OptimizerHandle, type StateDict, sgd } from "../src/index.js";

const params = () => ({ w: Float32Array.from([1, -2, 3, 0.5]), b: Float32Array.from([0.25]) });
const grads = () => ({ w: Float32Array.from([0.1, 0.2, -0.3, 0.4]), b: Float32Array.from([-1]) });

describe.each(["reference", "js", "wasm"] as const)(
  "hooks on createOptimizer's result (%s kernel)",
  (kernel) => {
    it("step hooks run in order around each step; a pre-hook may replace the gradients", () => {
      const opt = createOptimizer(adamw({ lr: 0.1 }), params(), { kernel });
      const twin = createOptimizer(adamw({ lr: 0.1 }), params(), { kernel });
      const log: string[] = [];
      opt.registerStepPreHook((o) => void log.push(`pre1 ${o.stepCount}`));
      opt.registerStepPreHook((o, g) => {
        log.push(`pre2 ${o.stepCount}`);
        const w = (g as { w: Float32Array }).w;
        return { w: w.map((x) => 2 * x), b: Float32Array.from([0]) };
      });
      opt.registerStepPostHook((o) => void log.push(`post ${o.stepCount}`));
      opt.step(grads());
      twin.step({ w: grads().w.map((x) => 2 * x), b: Float32Array.from([0]) });
      expect(log).toEqual(["pre1 0", "pre2 0", "post 1"]);
      expect(opt.params).toEqual(twin.params);
      expect(opt.stateDict()).toEqual(twin.stateDict());
    });

    it("a pre-hook that throws changes nothing; a post-hook that throws leaves the completed step", () => {
      const opt = createOptimizer(adamw({ lr: 0.1 }), params(), { kernel });
      opt.step(grads());
      const before = { params: structuredClone(opt.params), dict: opt.stateDict() };
      const pre = opt.registerStepPreHook(() => {
        throw new Error("no");
      });
      expect(() => opt.step(grads())).toThrow("no");
      expect(opt.params).toEqual(before.params);
      expect(opt.stateDict()).toEqual(before.dict);
      pre.remove();
      opt.registerStepPostHook(() => {
        throw new Error("after");
      });
      expect(() => opt.step(grads())).toThrow("after");
      expect(opt.stepCount).toBe(2);
      expect(opt.params).not.toEqual(before.params);
    });

    it("remove() unregisters once; a hook may remove itself while hooks run", () => {
      const opt = createOptimizer(sgd({ lr: 0.1 }), params(), { kernel });
      let calls = 0;
      const h = opt.registerStepPostHook(() => {
        calls += 1;
        h.remove();
      });
      let other = 0;
      opt.registerStepPostHook(() => {
        other += 1;
      });
      opt.step(grads());
      opt.step(grads());
      h.remove();
      expect([calls, other]).toEqual([1, 2]);
      expect(() => opt.registerStepPreHook(42 as never)).toThrow(
        "registerStepPreHook: a hook must be a function, got number",
      );
    });

    it("state-dict hooks: fields added on save are taken off before load; the load is validated after the hooks", () => {
      const opt = createOptimizer(adamw({ lr: 0.1 }), params(), { kernel });
      opt.registerStateDictPostHook((_o, d) => ({ ...d, note: "epoch 3" }) as StateDict);
      opt.step(grads());
      const saved = opt.stateDict() as StateDict & { note?: string };
      expect(saved.note).toBe("epoch 3");
      const other = createOptimizer(adamw({ lr: 0.1 }), params(), { kernel });
      // without a hook the extra field is refused, and nothing changes
      expect(() => other.loadStateDict(saved)).toThrow("unexpected key 'note'");
      expect(other.stepCount).toBe(0);
      const seen: unknown[] = [];
      other.registerLoadStateDictPreHook((o: OptimizerHandle<unknown>, d) => {
        seen.push(o.stepCount);
        const { note: _, ...rest } = d as StateDict & { note?: string };
        return rest;
      });
      other.loadStateDict(saved);
      expect(seen).toEqual([0]);
      expect(other.stepCount).toBe(1);
      const { note: _, ...plain } = saved;
      expect(other.stateDict()).toEqual(plain);
    });
  },
);
