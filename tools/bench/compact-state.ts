/**
 * AdamW's step with compact state (`stateDtype`) against float32 state, on one float32 leaf of n
 * params, in interleaved rounds, each on the kernel `createOptimizer` picks: float32 and bfloat16
 * state on the fused WASM SIMD kernels (bfloat16: the moments' bits loaded and stored 4 at a time,
 * computed in float64 lanes, with two counter-hash draws per element for the stochastic rounding);
 * "int8" on its WASM kernel, scalar float64 as the chain computes, each block of 256 twice (its new
 * values for the absmax, then each encoded — a bucket table and a scan of the code per element —
 * read back and applied). Figures: M params/s (median over rounds), state bytes per param, and each
 * one's time / float32's.
 *
 *     npx tsx --conditions=momenta-source tools/bench/compact-state.ts [--n 1e7] [--rounds 3]
 *       [--packed] (params packed by packTree: updated in place, no staging) [--threads 2]
 *
 * `npm run bench` runs it too and records it in bench.json.
 */
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { median } from "./table.ts";

export interface CompactStateRow {
  stateDtype: "float32" | "bfloat16" | "int8";
  kernel: string;
  /** Median M params/s over rounds. */
  mparams: number;
  bytesPerParam: number;
  /** This dtype's time per step / float32 state's (median of per-round ratios). */
  vsFloat32: number;
}

const DTYPES = ["float32", "bfloat16", "int8"] as const;

export function compactStateBench(o: {
  n: number;
  rounds: number;
  /** Params packed by `packTree` (default: plain arrays, staged — what most callers pass). */
  packed?: boolean;
  pool?: m.ThreadPool;
  onProgress?: (line: string) => void;
}): CompactStateRow[] {
  const { n, rounds, pool } = o;
  const setups = DTYPES.map((stateDtype) => {
    const plain = { w: new Float32Array(n).fill(0.5) };
    const params = o.packed ? m.packTree(plain, { shared: pool !== undefined }) : plain;
    const opt = m.createOptimizer(
      m.adamw({ lr: 1e-3, ...(stateDtype === "float32" ? {} : { stateDtype }) }),
      params,
      { pool },
    );
    const g = opt.grads as { w: Float32Array };
    for (let i = 0; i < n; i++) g.w[i] = Math.sin(i) * 1e-2;
    return { stateDtype, opt };
  });
  // Steps per timing: enough for ~0.3 s of the slowest at this size.
  const steps = Math.max(1, Math.round(3e6 / n));
  const seconds: number[][] = DTYPES.map(() => []);
  for (let r = 0; r < rounds; r++) {
    setups.forEach(({ opt }, k) => {
      opt.step(opt.grads); // warm
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) opt.step(opt.grads);
      seconds[k]!.push((performance.now() - t0) / 1000 / steps);
    });
    o.onProgress?.(
      `round ${r + 1}/${rounds}: ${setups.map((s, k) => `${s.stateDtype} ${(n / seconds[k]!.at(-1)! / 1e6).toFixed(0)} M/s`).join(", ")}`,
    );
  }
  return setups.map(({ stateDtype, opt }, k) => ({
    stateDtype,
    kernel: opt.kernel,
    mparams: n / median(seconds[k]!) / 1e6,
    bytesPerParam: opt.stateBytes / n,
    vsFloat32: median(seconds[k]!.map((s, r) => s / seconds[0]![r]!)),
  }));
}

export function compactStateLine(n: number, rows: CompactStateRow[]): string {
  return `AdamW with compact state at ${n.toExponential(0)} (M params/s; bytes of state per param; time vs float32 state): ${rows
    .map(
      (r) =>
        `${r.stateDtype} (${r.kernel}) ${r.mparams.toFixed(1)}, ${r.bytesPerParam.toFixed(2)} B, ${r.vsFloat32.toFixed(1)}×`,
    )
    .join("; ")}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const n = arg("--n", 1e7);
  const threads = arg("--threads", 1);
  const packed = process.argv.includes("--packed");
  const pool = threads > 1 ? await nodeThreadPool(threads) : undefined;
  try {
    const rows = compactStateBench({
      n,
      rounds: arg("--rounds", 3),
      packed,
      pool,
      onProgress: (l) => console.error(l),
    });
    console.log(`${packed ? "packed" : "plain"} params, ${threads} thread(s): ${compactStateLine(n, rows)}`);
  } finally {
    await pool?.close();
  }
}
