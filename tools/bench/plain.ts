/**
 * Plain arrays vs packed (issue #15, item 2): AdamW on n float32 params as one plain Float32Array
 * with default options (the WASM kernel on the optimizer's own arena, params copied in and back each
 * step) against params packed by packTree at the same thread count, and against the fused JS kernel
 * on plain arrays (what plain arrays ran before). Cases take turns step by step, so background load
 * hits them alike; medians of the per-step times. Plain cases step with gradients in the caller's own
 * arrays (`opt.step({ w: g })`, the path a user takes); packed ones write into `opt.grads`.
 * `npx tsx --conditions=momenta-source tools/bench/plain.ts [n] [rounds]` (default 1e7, 25).
 */
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";

const n = Number(process.argv[2] ?? 1e7);
const rounds = Number(process.argv[3] ?? 25);
const pool = await nodeThreadPool(2);

function params(): Float32Array {
  const a = new Float32Array(n);
  for (let j = 0; j < n; j++) a[j] = Math.sin(j) * 0.5;
  return a;
}

const make = () => m.adamw({ lr: 1e-3, weightDecay: 0.01 });
const cases = {
  "plain 1t (default)": m.createOptimizer(make(), { w: params() }),
  "packed 1t": m.createOptimizer(make(), m.packTree({ w: params() })),
  "plain JS (kernel: js)": m.createOptimizer(make(), { w: params() }, { kernel: "js" }),
  "plain 2t (pool)": m.createOptimizer(make(), { w: params() }, { pool }),
  "packed 2t (pool)": m.createOptimizer(make(), m.packTree({ w: params() }), { pool }),
};
const times: Record<string, number[]> = {};
const userGrads = new Float32Array(n);
for (let j = 0; j < n; j++) userGrads[j] = Math.cos(j) * 0.01;
const gradsOf = (name: string, opt: m.OptimizerHandle<unknown>) =>
  name.startsWith("plain") ? { w: userGrads } : opt.grads;
for (const [name, opt] of Object.entries(cases)) {
  for (const g of m.leavesOf(opt.grads)) g.set(userGrads);
  opt.step(gradsOf(name, opt)); // warm up
  opt.step(gradsOf(name, opt));
  times[name] = [];
}
for (let r = 0; r < rounds; r++) {
  for (const [name, opt] of Object.entries(cases)) {
    const g = gradsOf(name, opt);
    const t0 = performance.now();
    opt.step(g);
    times[name]!.push(performance.now() - t0);
  }
}
pool.close();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(
  `AdamW, ${n.toExponential(0)} float32 params in one leaf, ${rounds} interleaved rounds (median ms, M params/s):`,
);
for (const [k, v] of Object.entries(med))
  console.log(`  ${k.padEnd(24)} ${v.toFixed(1).padStart(7)} ms ${(n / v / 1e3).toFixed(0).padStart(6)}`);
const ratio = (a: string, b: string) => (med[b]! / med[a]!).toFixed(2);
console.log(`  plain/packed, 1 thread:  ${ratio("plain 1t (default)", "packed 1t")}× (throughput)`);
console.log(`  plain/packed, 2 threads: ${ratio("plain 2t (pool)", "packed 2t (pool)")}×`);
console.log(`  plain 1t / old plain JS: ${ratio("plain 1t (default)", "plain JS (kernel: js)")}×`);
console.log(`  plain 2t / plain 1t:     ${ratio("plain 2t (pool)", "plain 1t (default)")}×`);
