/** Loads the PyTorch golden fixtures written by tools/golden/generate.py and replays their problem. */
import { readFileSync } from "node:fs";
import {
  base64ToFloats,
  createOptimizer,
  type Dtype,
  type FloatArray,
  type GradientTransformation,
  type Tree,
} from "momenta-optim";

const dir = new URL("./fixtures/", import.meta.url);
const readJson = (name: string) => JSON.parse(readFileSync(new URL(name, dir), "utf8"));

export interface LeafInfo {
  path: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface Problem {
  torch: string;
  steps: number;
  n: number;
  leaves: LeafInfo[];
  a: Float64Array;
  c: Float64Array;
  init: Float64Array;
  noise: Float64Array;
}

export interface Config {
  name: string;
  dtype: Dtype;
  options: Record<string, unknown>;
  noDecay?: string[];
  trajectory: FloatArray;
  snapshots: { step: number; state: Record<string, string | number> }[];
}

export function loadProblem(): Problem {
  const p = readJson("problem.json");
  const f = (s: string) => base64ToFloats(s, "float64") as Float64Array;
  return {
    torch: p.torch,
    steps: p.steps,
    n: p.n,
    leaves: p.leaves,
    a: f(p.a),
    c: f(p.c),
    init: f(p.init),
    noise: f(p.noise),
  };
}

export function loadConfigs(optimizer: string): Config[] {
  return readJson(`${optimizer}.json`).configs.map((c: Config & { trajectory: string }) => ({
    ...c,
    trajectory: base64ToFloats(c.trajectory, c.dtype),
  }));
}

export function makeArray(dtype: Dtype, values: ArrayLike<number>): FloatArray {
  return dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
}

/** The fixture's tree, `{ dense: { bias, weight }, layers: [l0, l1], scale }`, with views into one flat array. */
export function makeParams(problem: Problem, flat: FloatArray): Tree {
  const leaf = (path: string) => {
    const info = problem.leaves.find((l) => l.path === path)!;
    const data = flat.subarray(info.offset, info.offset + info.size);
    return info.shape.length === 1 ? data : { data, shape: info.shape };
  };
  return {
    dense: { bias: leaf("dense.bias"), weight: leaf("dense.weight") },
    layers: [leaf("layers.0"), leaf("layers.1")],
    scale: leaf("scale"),
  };
}

/** `g = a·(p − c) + noise[t]`, rounded per operation in float32 exactly as torch's float32 kernels do. */
export function gradient(problem: Problem, dtype: Dtype, p: FloatArray, t: number, out: FloatArray): void {
  const { a, c, noise, n } = problem;
  const r = dtype === "float32" ? Math.fround : (x: number) => x;
  for (let i = 0; i < n; i++) {
    out[i] = r(r(r(a[i]!) * r(p[i]! - r(c[i]!))) + r(noise[t * n + i]!));
  }
}

/** |x − y| / max(1, |y|), the worst over the arrays. */
export function maxRelError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!));
    if (!(e <= worst)) worst = e; // NaN wins
  }
  return worst;
}

/** Runs the fixture problem from its initial params with `tx`; returns the worst error against `trajectory` over all steps. */
export function replayTrajectory(
  problem: Problem,
  dtype: Dtype,
  tx: GradientTransformation<unknown>,
  trajectory: FloatArray,
): number {
  const { n, steps } = problem;
  const flat = makeArray(dtype, problem.init);
  const params = makeParams(problem, flat);
  const opt = createOptimizer(tx, params);
  const g = makeArray(dtype, new Float64Array(n));
  const grads = makeParams(problem, g);
  let err = maxRelError(flat, trajectory.subarray(0, n));
  for (let t = 0; t < steps; t++) {
    gradient(problem, dtype, flat, t, g);
    opt.step(grads);
    err = Math.max(err, maxRelError(flat, trajectory.subarray((t + 1) * n, (t + 2) * n)));
  }
  return err;
}
