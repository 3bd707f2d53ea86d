/**
 * Golden parity with torch.optim: every optimizer, every fixture configuration, both dtypes.
 * - float64: the whole 200-step trajectory matches at every step to 1e-10 (relative, scale max(1,|x|)).
 * - float32: one step from PyTorch's own state matches to 1e-6; whole trajectories to 2e-3.
 */
import * as momenta from "momenta-optim";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Config,
  gradient,
  loadConfigs,
  loadProblem,
  makeArray,
  makeParams,
  maxRelError,
  type Problem,
  replayTrajectory,
} from "./fixtures.ts";

const OPTIMIZERS = [
  "sgd",
  "sgdw",
  "adagrad",
  "rmsprop",
  "adadelta",
  "adam",
  "adamw",
  "adamax",
  "nadam",
  "radam",
  "rprop",
  "asgd",
] as const;
const problem = loadProblem();
const worst: Record<string, { trajectory64: number; trajectory32: number; step64: number; step32: number }> =
  {};

function build(name: string, config: Config) {
  const options: Record<string, unknown> = { ...config.options };
  if (config.noDecay) {
    const off = new Set(config.noDecay);
    options.mask = (path: string) => !off.has(path);
  }
  const make: Record<(typeof OPTIMIZERS)[number], (o: never) => momenta.Optimizer> = momenta;
  return make[name as (typeof OPTIMIZERS)[number]](options as never);
}

/** Writes PyTorch's state (snapshot after k steps) into momenta's state; returns how many fields were set. */
function loadTorchState(
  state: unknown,
  snap: Record<string, string | number>,
  k: number,
  dtype: momenta.Dtype,
) {
  const used = new Set<string>();
  let set = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== "object" || ArrayBuffer.isView(node)) return;
    const o = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(o)) {
      if (key === "count") {
        o.count = k;
        set++;
      } else if (key === "muProduct" || key === "eta" || key === "mu") {
        // scalar state (NAdam's μ product, ASGD's η and μ): PyTorch's value
        o[key] = snap[key] as number;
        used.add(key);
        set++;
      } else if (Array.isArray(value) && value.every(ArrayBuffer.isView)) {
        const flat = momenta.base64ToFloats(snap[key] as string, dtype);
        used.add(key);
        let off = 0;
        for (const buf of value as momenta.FloatArray[]) {
          buf.set(flat.subarray(off, off + buf.length));
          off += buf.length;
          set++;
        }
        expect(off).toBe(flat.length);
      } else visit(value);
    }
  };
  visit(state);
  const torchKeys = Object.keys(snap).filter((key) => key !== "step");
  expect([...used].sort()).toEqual(torchKeys.sort());
  return set;
}

function run(name: string, config: Config, problem: Problem) {
  return replayTrajectory(problem, config.dtype, build(name, config), config.trajectory);
}

function singleSteps(name: string, config: Config, problem: Problem) {
  const { n } = problem;
  let err = 0;
  for (const snap of config.snapshots) {
    const k = snap.step;
    const flat = makeArray(config.dtype, config.trajectory.subarray(k * n, (k + 1) * n));
    const opt = momenta.createOptimizer(build(name, config), makeParams(problem, flat));
    const set = loadTorchState(opt.state, snap.state, k, config.dtype);
    if (Object.keys(snap.state).length > 1) expect(set).toBeGreaterThan(0);
    const g = makeArray(config.dtype, new Float64Array(n));
    gradient(problem, config.dtype, flat, k, g);
    opt.step(makeParams(problem, g));
    err = Math.max(err, maxRelError(flat, config.trajectory.subarray((k + 1) * n, (k + 2) * n)));
  }
  return err;
}

for (const name of OPTIMIZERS) {
  describe(`${name} matches torch.optim (${problem.torch})`, () => {
    const configs = loadConfigs(name);
    it("has configurations in both dtypes", () => {
      expect(configs.filter((c) => c.dtype === "float64").length).toBeGreaterThanOrEqual(3);
      expect(configs.filter((c) => c.dtype === "float32").length).toBeGreaterThanOrEqual(3);
    });
    for (const config of configs) {
      worst[name] ??= { trajectory64: 0, trajectory32: 0, step64: 0, step32: 0 };
      const w = worst[name];
      const f64 = config.dtype === "float64";
      it(`${config.name} (${config.dtype}): whole trajectory`, () => {
        const e = run(name, config, problem);
        if (f64) w.trajectory64 = Math.max(w.trajectory64, e);
        else w.trajectory32 = Math.max(w.trajectory32, e);
        expect(e).toBeLessThanOrEqual(f64 ? 1e-10 : 2e-3);
      });
      it(`${config.name} (${config.dtype}): one step from PyTorch's state`, () => {
        const e = singleSteps(name, config, problem);
        if (f64) w.step64 = Math.max(w.step64, e);
        else w.step32 = Math.max(w.step32, e);
        expect(e).toBeLessThanOrEqual(f64 ? 1e-10 : 1e-6);
      });
    }
  });
}

afterAll(() => {
  if (!process.env.MOMENTA_GOLDEN_REPORT) return;
  const rows = Object.entries(worst).map(
    ([k, w]) =>
      `${k.padEnd(9)} traj64 ${w.trajectory64.toExponential(1)}  step64 ${w.step64.toExponential(1)}  traj32 ${w.trajectory32.toExponential(1)}  step32 ${w.step32.toExponential(1)}`,
  );
  console.log(`worst relative errors vs PyTorch:\n${rows.join("\n")}`);
});
