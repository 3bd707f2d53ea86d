/**
 * momenta's own columns: the reference chain, the fused JS kernel, the WASM SIMD kernel and WASM SIMD
 * on a thread pool, plus the memory-stream ceiling (AdamW's 7-stream access pattern, no arithmetic).
 */
import * as m from "momenta-optim";
import { kernelsFor } from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { type Measurement, measure } from "./table.ts";
import { type Layout, MANY_TENSORS, type OptimizerName } from "./types.ts";

/**
 * "plain" / "plain-threads": plain Float32Arrays (no packTree) with default options — the WASM
 * kernel on an arena the optimizer owns, the params copied in and back each step — without and with
 * the thread pool.
 */
export type Column = "reference" | "js" | "wasm" | "wasm-threads" | "plain" | "plain-threads";

/** The anchors' five, plus Lion (momenta only: PyTorch 1.13 and TF.js have none). */
export type BenchOptimizer = OptimizerName | "lion";

export const MAKE: Record<BenchOptimizer, () => m.GradientTransformation<unknown>> = {
  adamw: () => m.adamw({ lr: 1e-3, weightDecay: 0.01 }),
  adam: () => m.adam({ lr: 1e-3 }),
  "sgd-momentum": () => m.sgd({ lr: 0.01, momentum: 0.9 }),
  rmsprop: () => m.rmsprop({ lr: 0.01 }),
  adagrad: () => m.adagrad({ lr: 0.01 }),
  lion: () => m.lion({ lr: 1e-4, weightDecay: 0.1 }),
};

/** Params of n float32 values as one tensor or as 10,000 small ones, packed into an arena (unless `plain`). */
export function makeParams(n: number, layout: Layout, plain = false): m.Tree {
  const leaves = layout === "one" ? 1 : MANY_TENSORS;
  const size = Math.floor(n / leaves);
  const tree = Array.from({ length: leaves }, (_, i) => {
    const a = new Float32Array(size);
    for (let j = 0; j < size; j++) a[j] = Math.sin(i * 7919 + j) * 0.5;
    return a;
  });
  return plain ? tree : m.packTree(tree);
}

export async function momentaColumns(
  n: number,
  layout: Layout,
  optimizer: BenchOptimizer,
  columns: readonly Column[],
  pool: m.ThreadPool | undefined,
): Promise<Partial<Record<Column, Measurement>>> {
  const out: Partial<Record<Column, Measurement>> = {};
  for (const column of columns) {
    const threaded = column === "wasm-threads" || column === "plain-threads";
    if (threaded && !pool) continue;
    const plain = column === "plain" || column === "plain-threads";
    const params = makeParams(n, layout, plain);
    const kernel = plain ? undefined : column === "wasm-threads" ? "wasm" : column;
    const opt = m.createOptimizer(MAKE[optimizer](), params, { kernel, pool: threaded ? pool : undefined });
    for (const g of m.leavesOf(opt.grads)) for (let j = 0; j < g.length; j++) g[j] = Math.cos(j) * 0.01;
    // The reference chain overwrites its gradient buffer with the update; the gradient's values do not change the cost.
    out[column] = measure(() => opt.step(opt.grads), { n, runs: 5, budgetSeconds: 4 });
  }
  return out;
}

/** The memory ceiling for AdamW's pattern: read p, g, m, v and write p, m, v, no arithmetic (WASM SIMD). */
export function streamCeiling(n: number, pool: m.ThreadPool | undefined): Measurement {
  const arena = m.createArena({ shared: true, bytes: n * 16 + 65536 });
  const bufs = [0, 1, 2, 3].map(() => m.allocate(arena, n));
  const [p, g, mm, v] = bufs.map((b) => b.byteOffset) as [number, number, number, number];
  const k = kernelsFor(arena.memory);
  const padded = m.paddedLength(n, 4);
  if (!pool) return measure(() => k.stream7(p, g, mm, v, padded), { n });
  const half = Math.ceil(padded / pool.size / 4) * 4;
  const calls = Array.from({ length: pool.size }, (_, i) => {
    const lo = i * half;
    const len = Math.max(0, Math.min(half, padded - lo));
    return [p + lo * 4, g + lo * 4, mm + lo * 4, v + lo * 4, len];
  });
  return measure(() => pool.run(arena.memory, "stream7", calls), { n });
}

/** WASM AdamW at 1 vs 2 threads over sizes, to find where threads start to pay. */
export async function threadCrossover(sizes: number[]): Promise<{ n: number; one: number; two: number }[]> {
  const pool = await nodeThreadPool(2, { minPerThread: 4 });
  try {
    const out: { n: number; one: number; two: number }[] = [];
    for (const n of sizes) {
      const one = (await momentaColumns(n, "one", "adamw", ["wasm"], undefined)).wasm!.median;
      const two = (await momentaColumns(n, "one", "adamw", ["wasm-threads"], pool))["wasm-threads"]!.median;
      out.push({ n, one, two });
    }
    return out;
  } finally {
    pool.close();
  }
}
