/**
 * Focused micro-benchmark of the fused JavaScript kernels (`kernel: "js"`): M params/s per step for
 * AdamW, Adam + AMSGrad, SGD momentum, SGD Nesterov, RMSprop, Adagrad and Lion at 1e6 and 1e7 float32
 * and 1e6 float64 params (one packed tensor), median of ≥ 7 runs after warm-up, with the ratio to a
 * plain hand-written JS AdamW loop measured in the same run. Every kernel is first warmed up in both
 * dtypes, so the numbers are those of a process where both ran (as in the test suite).
 *
 *   npx tsx --conditions=momenta-source tools/bench/js-kernels.ts [--runs 9] [--only adamw,lion] [--sizes 1e6,1e7]
 */
import * as m from "momenta-optim";
import { median, othersCores, othersCpuSeconds } from "./table.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Math.max(7, Number(opt("runs") ?? 9));
const ONLY = opt("only")?.split(",");

const MAKE: Record<string, () => m.GradientTransformation<unknown>> = {
  adamw: () => m.adamw({ lr: 1e-3, weightDecay: 0.01 }),
  "adam amsgrad": () => m.adam({ lr: 1e-3, amsgrad: true }),
  "sgd momentum": () => m.sgd({ lr: 0.01, momentum: 0.9 }),
  "sgd nesterov": () => m.sgd({ lr: 0.01, momentum: 0.9, nesterov: true }),
  rmsprop: () => m.rmsprop({ lr: 0.01 }),
  adagrad: () => m.adagrad({ lr: 0.01 }),
  lion: () => m.lion({ lr: 1e-4, weightDecay: 0.1 }),
};
const NAMES = Object.keys(MAKE).filter((k) => !ONLY || ONLY.includes(k));

type Dtype = "float32" | "float64";
const CASES: [number, Dtype][] = [
  [1e6, "float32"],
  [1e7, "float32"],
  [1e6, "float64"],
].filter(
  ([n]) =>
    !opt("sizes") ||
    opt("sizes")!
      .split(",")
      .map(Number)
      .includes(n as number),
) as [number, Dtype][];

function array(dtype: Dtype, n: number) {
  return dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
}

function params(n: number, dtype: Dtype): m.Tree {
  const a = array(dtype, n);
  for (let j = 0; j < n; j++) a[j] = Math.sin(j) * 0.5;
  return m.packTree({ w: a });
}

/** Median seconds per call of `f`, each run repeating it until ≥ 40 ms have passed. */
function time(f: () => void): number {
  for (let i = 0; i < 3; i++) f(); // warm-up
  const t0 = performance.now();
  f();
  const once = Math.max(1e-3, performance.now() - t0);
  const reps = Math.max(1, Math.ceil(40 / once));
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) f();
    runs.push((performance.now() - s) / 1000 / reps);
  }
  return median(runs);
}

/**
 * A plain AdamW loop as one would write it by hand (not bit-exact: a reference speed, not a kernel).
 * One copy per array type on purpose: a single function fed both types would go polymorphic and
 * understate the baseline the kernels are compared with.
 */
function plainAdamW32(p: Float32Array, g: Float32Array, mm: Float32Array, v: Float32Array, t: number): void {
  const lr = 1e-3;
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const decay = 1 - lr * 0.01;
  const a = lr / (1 - b1 ** t);
  const c = 1 / Math.sqrt(1 - b2 ** t);
  for (let j = 0; j < p.length; j++) {
    const gj = g[j]!;
    const mj = b1 * mm[j]! + (1 - b1) * gj;
    const vj = b2 * v[j]! + (1 - b2) * gj * gj;
    mm[j] = mj;
    v[j] = vj;
    p[j] = p[j]! * decay - (a * mj) / (Math.sqrt(vj) * c + eps);
  }
}
function plainAdamW64(p: Float64Array, g: Float64Array, mm: Float64Array, v: Float64Array, t: number): void {
  const lr = 1e-3;
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const decay = 1 - lr * 0.01;
  const a = lr / (1 - b1 ** t);
  const c = 1 / Math.sqrt(1 - b2 ** t);
  for (let j = 0; j < p.length; j++) {
    const gj = g[j]!;
    const mj = b1 * mm[j]! + (1 - b1) * gj;
    const vj = b2 * v[j]! + (1 - b2) * gj * gj;
    mm[j] = mj;
    v[j] = vj;
    p[j] = p[j]! * decay - (a * mj) / (Math.sqrt(vj) * c + eps);
  }
}

function plain(n: number, dtype: Dtype): number {
  const [p, g, mm, v] = [array(dtype, n), array(dtype, n), array(dtype, n), array(dtype, n)];
  for (let j = 0; j < n; j++) {
    p[j] = Math.sin(j) * 0.5;
    g[j] = Math.cos(j) * 0.01;
  }
  let t = 0;
  return dtype === "float32"
    ? time(() =>
        plainAdamW32(p as Float32Array, g as Float32Array, mm as Float32Array, v as Float32Array, ++t),
      )
    : time(() =>
        plainAdamW64(p as Float64Array, g as Float64Array, mm as Float64Array, v as Float64Array, ++t),
      );
}

function optimizer(name: string, n: number, dtype: Dtype) {
  const o = m.createOptimizer(MAKE[name]!(), params(n, dtype), { kernel: "js" });
  if (o.kernel !== "js") throw new Error(`${name}: expected the js kernel, got ${o.kernel}`);
  for (const g of m.leavesOf(o.grads)) for (let j = 0; j < g.length; j++) g[j] = Math.cos(j) * 0.01;
  return o;
}

// Warm up every kernel in both dtypes first (small sizes), so type feedback is what a mixed process sees.
for (const name of NAMES) {
  for (const dtype of ["float32", "float64"] as const) {
    const o = optimizer(name, 4099, dtype);
    for (let i = 0; i < 300; i++) o.step(o.grads);
  }
}

const since = othersCpuSeconds();
const start = performance.now();
const rate = (n: number, s: number) => n / s / 1e6;
const rows: string[][] = [];
for (const [n, dtype] of CASES) {
  const base = rate(n, plain(n, dtype));
  rows.push([`plain AdamW loop`, `${n.toExponential(0)} ${dtype}`, base.toFixed(0), "1.00"]);
  for (const name of NAMES) {
    const o = optimizer(name, n, dtype);
    const r = rate(
      n,
      time(() => o.step(o.grads)),
    );
    rows.push([name, `${n.toExponential(0)} ${dtype}`, r.toFixed(0), (r / base).toFixed(2)]);
  }
}
const head = ["kernel (js)", "size", "M params/s", "× plain"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log(line(head));
for (const r of rows) console.log(line(r));
const load = othersCores(since, (performance.now() - start) / 1000);
console.log(
  `median of ${RUNS} runs; other processes kept ${load === undefined ? "?" : load.toFixed(2)} of ${(
    await import("node:os")
  ).availableParallelism()} cores busy`,
);
