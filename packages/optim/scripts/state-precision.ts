/**
 * How much precision Adam's state needs (issue 19's design measurement, before the kernels): Adam
 * on an ill-conditioned quadratic f(x) = ½ Σ hᵢ xᵢ², with hᵢ log-uniform over 4 decades inside every
 * block, its moments stored after each step as bfloat16 (stochastic rounding) or as 8-bit blocks of
 * the dynamic code — the second moment v itself, or √v, to nearest or stochastically — for several
 * block sizes. Prints the loss at step T as a ratio to float32 state's (1 = no loss of quality), for
 * T where float32 is far from converged and nearer to it.
 *
 *     npx tsx packages/optim/scripts/state-precision.ts
 */
import { fromBfloat16, roundingBits, roundingKey, toBfloat16 } from "../src/precision/bfloat16.ts";
import {
  blockCount,
  dequantize,
  quantize,
  SIGNED_CODE,
  UNSIGNED_CODE,
} from "../src/precision/blockwise-int8.ts";
import { rng } from "../src/rng.ts";

const N = 8192;
const LR = 0.01;
const [B1, B2, EPS] = [0.9, 0.999, 1e-8];
const STEPS = [100, 200, 300];
const BLOCKS = [16, 32, 64, 128, 256];

type Storage =
  | { kind: "float32" }
  | { kind: "bfloat16" }
  | { kind: "int8"; block: number; sqrtV: boolean; stochastic: boolean };

/** The quadratic of one seed: curvatures h and the start x0. */
function problem(seed: number) {
  const next = rng(seed);
  const h = Float64Array.from({ length: N }, () => 10 ** (-2 + 4 * next()));
  const x0 = Float64Array.from({ length: N }, () => next() * 2 - 1);
  const loss = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += 0.5 * h[i]! * x[i]! ** 2;
    return s;
  };
  return { h, x0, loss };
}

/** The loss after `steps` Adam steps with the moments stored as `storage` after every step. */
function run(p: ReturnType<typeof problem>, steps: number, storage: Storage): number {
  const x = p.x0.slice();
  const m = new Float32Array(N);
  const v = new Float32Array(N);
  const block = storage.kind === "int8" ? storage.block : 1;
  const bytes = [new Uint8Array(N), new Uint8Array(N)] as const;
  const scales = [new Float32Array(blockCount(N, block)), new Float32Array(blockCount(N, block))] as const;
  const root = new Float32Array(N);
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < N; i++) {
      const g = p.h[i]! * x[i]!;
      m[i] = B1 * m[i]! + (1 - B1) * g;
      v[i] = B2 * v[i]! + (1 - B2) * g * g;
    }
    if (storage.kind === "bfloat16") {
      const [km, kv] = [roundingKey(0, t, 0), roundingKey(0, t, 1)];
      for (let i = 0; i < N; i++) {
        m[i] = fromBfloat16(toBfloat16(m[i]!, roundingBits(km, i)));
        v[i] = fromBfloat16(toBfloat16(v[i]!, roundingBits(kv, i)));
      }
    } else if (storage.kind === "int8") {
      const [km, kv] = [roundingKey(0, t, 0), roundingKey(0, t, 1)];
      const random = (key: number) => (storage.stochastic ? { key, offset: 0 } : undefined);
      quantize(SIGNED_CODE, m, block, bytes[0], scales[0], random(km));
      dequantize(SIGNED_CODE, bytes[0], scales[0], block, m);
      if (storage.sqrtV) for (let i = 0; i < N; i++) root[i] = Math.sqrt(v[i]!);
      quantize(UNSIGNED_CODE, storage.sqrtV ? root : v, block, bytes[1], scales[1], random(kv));
      dequantize(UNSIGNED_CODE, bytes[1], scales[1], block, storage.sqrtV ? root : v);
      if (storage.sqrtV) for (let i = 0; i < N; i++) v[i] = root[i]! * root[i]!;
    }
    const [c1, c2] = [1 - B1 ** t, 1 - B2 ** t];
    for (let i = 0; i < N; i++) x[i] = x[i]! - (LR * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + EPS);
  }
  return p.loss(x);
}

const ratio = (r: number) => (Number.isFinite(r) ? r.toFixed(3) : String(r));
for (const seed of [1, 2]) {
  const p = problem(seed);
  for (const steps of STEPS) {
    const f32 = run(p, steps, { kind: "float32" });
    const cells = [`bf16 ${ratio(run(p, steps, { kind: "bfloat16" }) / f32)}`];
    for (const block of BLOCKS) {
      const v = run(p, steps, { kind: "int8", block, sqrtV: false, stochastic: false }) / f32;
      const r = run(p, steps, { kind: "int8", block, sqrtV: true, stochastic: false }) / f32;
      const sr = run(p, steps, { kind: "int8", block, sqrtV: true, stochastic: true }) / f32;
      cells.push(`B${block}: v ${ratio(v)} √v ${ratio(r)} √v SR ${ratio(sr)}`);
    }
    console.log(
      `seed ${seed}, step ${steps} (float32 loss ${f32.toExponential(2)} of ${p.loss(p.x0).toExponential(2)}): ${cells.join(" | ")}`,
    );
  }
}
