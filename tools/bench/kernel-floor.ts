/**
 * AdamW's WASM kernels alone — float32 and bfloat16 moments — on regions of one arena, with no
 * optimizer around them (no staging, no dispatch): ns per param in cache (16,384 params: p, g and
 * float32 moments take 256 KiB) and out of it (n, default 1e7), medians of interleaved rounds. What
 * it shows: whether a kernel is bound by memory (slower out of cache than in) or by its arithmetic,
 * and so whether bfloat16 moments, which move 20 bytes a param against float32's 28, could catch up:
 * only if bfloat16's arithmetic alone (in cache) took no longer than float32's whole kernel out of it.
 *
 *     npx tsx --conditions=momenta-source tools/bench/kernel-floor.ts [--n 1e7] [--rounds 5]
 *
 * The arguments are written out by position (the kind's parameter lists, `kernels/kinds/adam.ts`);
 * each kernel's arity is checked first, so a changed list stops the tool instead of timing garbage.
 */
import * as m from "momenta-optim";
import { kernelsFor } from "momenta-optim";
import { median } from "./table.ts";

export const IN_CACHE = 16384;

/** After p, g, the moment pointers and n: coef, L2, decay, −lr; β1, 1 − β1, β2, 1 − β2. */
const HEAD = [1, 0, 0.01, -1e-3, 0.9, 0.1, 0.999, 0.001];
/** 1/bc1, 1/√bc2, ε; amsgrad, scaled, hasL2, hasWd; a folded average (off): pointer, d, c, on. */
const ADAM = [10, 31.6, 1e-8, 0, 0, 0, 1, 0, 0, 0, 0];
/** bfloat16's rounding: the first element's index in its leaf, the three buffers' keys. */
const ROUNDING = [0, 11, 12, 13];

/** ns per param of each kernel on n params (median over rounds, interleaved). */
export function kernelFloor(n: number, rounds: number): { float32: number; bfloat16: number } {
  const arena = m.createArena({ shared: false, bytes: n * 4 * 5 + (1 << 20) });
  const [p, g, m1, v1] = [0, 1, 2, 3].map(() => m.allocate(arena, n));
  const words = [m.allocate(arena, n / 2), m.allocate(arena, n / 2)]; // n bfloat16 words each
  for (let i = 0; i < n; i++) {
    p![i] = Math.sin(i);
    g![i] = 0.01 * Math.cos(1.3 * i);
  }
  const k = kernelsFor(arena.memory);
  const calls = {
    float32: { fn: k.adam, args: [p!, g!, m1!, v1!].map((a) => a.byteOffset) },
    bfloat16: { fn: k.adamBf16, args: [p!, g!, words[0]!, words[1]!].map((a) => a.byteOffset) },
  };
  const full = {
    float32: [...calls.float32.args, 0, n, ...HEAD, ...ADAM],
    bfloat16: [...calls.bfloat16.args, 0, n, ...HEAD, ...ADAM, ...ROUNDING],
  };
  for (const d of ["float32", "bfloat16"] as const)
    if (calls[d].fn.length !== full[d].length)
      throw new Error(`${d}: the kernel takes ${calls[d].fn.length} arguments, not ${full[d].length}`);
  const ns = { float32: [] as number[], bfloat16: [] as number[] };
  const reps = Math.max(3, Math.round(1e8 / n / 4));
  for (let r = 0; r < rounds; r++)
    for (const d of ["float32", "bfloat16"] as const) {
      calls[d].fn(...full[d]);
      const t0 = performance.now();
      for (let s = 0; s < reps; s++) calls[d].fn(...full[d]);
      ns[d].push(((performance.now() - t0) * 1e6) / reps / n);
    }
  return { float32: median(ns.float32), bfloat16: median(ns.bfloat16) };
}

export interface KernelFloorResult {
  n: number;
  inCache: { float32: number; bfloat16: number };
  atN: { float32: number; bfloat16: number };
}

export function kernelFloorBench(n: number, rounds: number): KernelFloorResult {
  return { n, inCache: kernelFloor(IN_CACHE, rounds), atN: kernelFloor(n, rounds) };
}

export function kernelFloorLine({ n, inCache, atN }: KernelFloorResult): string {
  const at = n.toExponential(0);
  return `AdamW's WASM kernels alone (ns/param, one thread): in cache (${IN_CACHE}) float32 ${inCache.float32.toFixed(2)}, bfloat16 ${inCache.bfloat16.toFixed(2)}; at ${at} float32 ${atN.float32.toFixed(2)}, bfloat16 ${atN.bfloat16.toFixed(2)} — bfloat16's arithmetic alone is ${(inCache.bfloat16 / atN.float32).toFixed(1)}× float32's whole kernel at ${at}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  console.log(kernelFloorLine(kernelFloorBench(arg("--n", 1e7), arg("--rounds", 5))));
}
