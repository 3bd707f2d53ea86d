/**
 * L-BFGS per iteration: momenta's `lbfgs` as `createOptimizer` runs it by default (its two-loop
 * recursion on the WASM SIMD kernels) and on its reference JavaScript loops (the same bits), against
 * torch.optim.LBFGS on 1 thread, in interleaved rounds, on a diagonal quadratic whose
 * closure is one pass over the params (g = a·(p − c), loss from the same pass): n params in one
 * leaf, history 10 (full after the warm-up), fixed steps (no line search), 10 iterations a step.
 * An iteration is the two-loop recursion (2·10 dot products and 2·10 axpys over n), the step and the
 * closure: memory-bound, like the fused kinds. Figures: ms per iteration (median over rounds) and
 * momenta / PyTorch.
 *
 *     npx tsx --conditions=momenta-source tools/bench/lbfgs.ts [--n 1e6] [--rounds 3]
 *
 * `npm run bench` runs it too and records it in bench.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as m from "momenta-optim";
import { median } from "./table.ts";

export interface LbfgsBench {
  n: number;
  dtype: "float32" | "float64";
  /** Median ms per iteration over rounds: the default kernel (WASM two-loop). */
  momentaMs: number;
  /** The same on the reference JavaScript loops (`kernel: "reference"`). */
  referenceMs: number;
  torchMs: number | undefined;
  /** momenta's time / PyTorch's (median of per-round ratios); > 1: momenta is slower. */
  ratio: number | undefined;
  torchMissing?: string;
}

const ITERATIONS = 10;
const HISTORY = 10;

const TORCH = `
import sys, time, torch
torch.set_num_threads(1)
n, dtype, steps = int(float(sys.argv[1])), getattr(torch, sys.argv[2]), int(sys.argv[3])
torch.set_default_dtype(dtype)
g = torch.Generator().manual_seed(0)
a = torch.rand(n, generator=g, dtype=torch.float64).to(dtype) + 0.5
c = torch.randn(n, generator=g, dtype=torch.float64).to(dtype)
p = torch.zeros(n)
opt = torch.optim.LBFGS([p], lr=0.1, max_iter=${ITERATIONS}, history_size=${HISTORY}, tolerance_grad=0, tolerance_change=0)
def closure():
    r = p.detach() - c
    p.grad = a * r
    return float((r * p.grad).sum()) * 0.5
opt.step(closure)  # warm-up: fills the history
for _ in range(steps):
    t = time.perf_counter()
    opt.step(closure)
    print((time.perf_counter() - t) * 1000 / ${ITERATIONS}, flush=True)
`;

/** ms per iteration of torch's LBFGS, one per step; or why it cannot run. */
function torchRound(n: number, dtype: string, steps: number): number[] | string {
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const r = spawnSync(python, ["-c", TORCH, String(n), dtype, String(steps)], { encoding: "utf8" });
  if (r.status !== 0) return (r.stderr || r.error?.message || "python failed").trim().split("\n").at(-1)!;
  return r.stdout.trim().split("\n").map(Number);
}

/** ms per iteration of momenta's lbfgs, one per step. */
function momentaRound(
  n: number,
  dtype: "float32" | "float64",
  steps: number,
  kernel: "auto" | "reference",
): number[] {
  const F = dtype === "float32" ? Float32Array : Float64Array;
  const rng = m.rng(0);
  const a = new F(n);
  const c = new F(n);
  const gauss = m.normal(rng);
  for (let i = 0; i < n; i++) {
    a[i] = rng() + 0.5;
    c[i] = gauss();
  }
  const p = { w: new F(n) };
  const grads = { w: new F(n) };
  const opt = m.createOptimizer(
    m.lbfgs({ lr: 0.1, maxIter: ITERATIONS, historySize: HISTORY, toleranceGrad: 0, toleranceChange: 0 }),
    p,
    { kernel },
  );
  const closure = () => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const r = p.w[i]! - c[i]!;
      grads.w[i] = a[i]! * r;
      loss += r * grads.w[i]!;
    }
    return { loss: 0.5 * loss, grads };
  };
  opt.step(closure); // warm-up: fills the history
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    opt.step(closure);
    out.push((performance.now() - t) / ITERATIONS);
  }
  return out;
}

export function lbfgsBench(
  opts: {
    n?: number;
    rounds?: number;
    dtype?: "float32" | "float64";
    onProgress?: (line: string) => void;
  } = {},
): LbfgsBench {
  const n = opts.n ?? 1e6;
  const dtype = opts.dtype ?? "float32";
  const rounds = opts.rounds ?? 3;
  const ours: number[] = [];
  const loops: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  let torchMissing: string | undefined;
  for (let r = 0; r < rounds; r++) {
    const mine = median(momentaRound(n, dtype, 3, "auto"));
    ours.push(mine);
    loops.push(median(momentaRound(n, dtype, 3, "reference")));
    const t = torchMissing === undefined ? torchRound(n, dtype, 3) : torchMissing;
    if (typeof t === "string") torchMissing = t;
    else {
      theirs.push(median(t));
      ratios.push(mine / median(t));
    }
    opts.onProgress?.(
      `round ${r + 1}: momenta ${mine.toFixed(2)} ms/iteration (reference loops ${loops.at(-1)!.toFixed(2)})${theirs.length ? `, PyTorch ${theirs.at(-1)!.toFixed(2)}` : ""}`,
    );
  }
  return {
    n,
    dtype,
    momentaMs: median(ours),
    referenceMs: median(loops),
    torchMs: theirs.length ? median(theirs) : undefined,
    ratio: ratios.length ? median(ratios) : undefined,
    ...(torchMissing ? { torchMissing } : {}),
  };
}

/** The line `npm run bench` prints. */
export function lbfgsLine(b: LbfgsBench): string {
  const size = `n = ${b.n.toExponential(0).replace("e+", "e")} ${b.dtype}, history ${HISTORY}`;
  return b.torchMs === undefined
    ? `L-BFGS (${size}): momenta ${b.momentaMs.toFixed(2)} ms/iteration (reference loops ${b.referenceMs.toFixed(2)}); PyTorch not available (${b.torchMissing})`
    : `L-BFGS (${size}): momenta ${b.momentaMs.toFixed(2)} ms/iteration (reference loops ${b.referenceMs.toFixed(2)}), PyTorch (1 thread) ${b.torchMs.toFixed(2)}: ${b.ratio!.toFixed(2)}× its time`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  for (const dtype of ["float32", "float64"] as const) {
    const b = lbfgsBench({
      n: arg("n", 1e6),
      rounds: arg("rounds", 3),
      dtype,
      onProgress: (l) => console.error(l),
    });
    console.log(lbfgsLine(b));
  }
}
