/**
 * The WASM kernel of 8-bit moments (`stateDtype: "int8"`, issue #19) against the reference chain: it
 * runs each 256-element block as the chain's `blockwise` step does, in float64, so params, codes and
 * scales are the chain's bit for bit — packed or staged, on one thread or two, whatever the staging
 * blocks (each element's rounding is keyed by its index in its leaf, each block's scale by its leaf).
 * (The wrappers' own float state — an average, a clip's recorded norm — is the float kernels' own,
 * within float32 rounding: not compared here.)
 */
import * as m from "momenta-optim";
import { nodeThreadPool } from "momenta-optim/node";
import { describe, expect, it } from "vitest";
import { allocate, createArena } from "../../src/kernels/arena.ts";
import { int8Tables } from "../../src/kernels/int8-tables.ts";
import { kernelsFor } from "../../src/kernels/wasm-kernels.ts";
import { awkwardTree, rng } from "../helpers.ts";
import { adamConfigs, type Make } from "./adam-configs.ts";

const int8 = { stateDtype: "int8", stateSeed: 5 } as const;

const CONFIGS: [string, Make][] = [
  ...adamConfigs(int8),
  [
    "ema(adamw)",
    () => m.ema(m.adamw({ lr: 0.01, ...int8 }), { decay: 0.9 }) as m.GradientTransformation<unknown>,
  ],
  [
    "skipNonFinite(adamw)",
    () => m.skipNonFinite(m.adamw({ lr: 0.01, ...int8 })) as m.GradientTransformation<unknown>,
  ],
];

/** Leaves of awkward sizes (1 to 15, several blocks' worth, and one across staging blocks). */
const tree = (seed: number) => awkwardTree("float32", seed, { many: 12, big: 40_003 });

/**
 * Step t: gradients near the params with noise, 50× at step 7; at step 11 one element of `big` is
 * NaN (its block's scale becomes NaN and the block reads back NaN, as the chain stores it).
 */
function step(opt: m.OptimizerHandle<unknown>, params: m.Tree, next: () => number, t: number, nan: boolean) {
  const ps = m.leavesOf(params);
  m.leavesOf(opt.grads).forEach((leaf, i) => {
    for (let j = 0; j < leaf.length; j++)
      leaf[j] = ps[i]![j]! - 0.3 + 0.2 * (next() * 2 - 1) * (t === 7 ? 50 : 1);
    if (nan && t === 11 && leaf.length === 40_003) leaf[20_000] = Number.NaN;
  });
  opt.step(opt.grads);
}

/** The 8-bit moments as stored (codes and scales of every leaf) and the counts, from the state. */
function stored(o: m.OptimizerHandle<unknown>): unknown[] {
  const out: unknown[] = [];
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== "object") return;
    if (ArrayBuffer.isView(x)) return;
    const q = x as { codes?: unknown; scales?: unknown; count?: unknown };
    if (q.codes instanceof Uint8Array && q.scales instanceof Float32Array)
      out.push(Array.from(q.codes), Array.from(q.scales));
    else {
      if (typeof q.count === "number") out.push(q.count);
      (Array.isArray(x) ? x : Object.values(x)).forEach(visit);
    }
  };
  visit(o.state);
  return out;
}

/** Where two nested lists of numbers first differ (Object.is: NaN equals NaN), or undefined: a short failure message for long arrays. */
function firstDifference(a: unknown, b: unknown, at = ""): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${at}: ${String(a)} vs ${String(b)}`;
}

function run(
  make: Make,
  kernel: m.KernelName,
  packed: boolean,
  o: { pool?: m.ThreadPool; nan?: boolean } = {},
) {
  const params = packed ? m.packTree(tree(1), { shared: o.pool !== undefined }) : tree(1);
  const opt = m.createOptimizer(make(), params, { kernel, pool: o.pool });
  const next = rng(2);
  for (let t = 0; t < 16; t++) step(opt, params, next, t, o.nan ?? false);
  return { params: m.leavesOf(params).map((a) => Array.from(a)), state: stored(opt), opt };
}

describe("8-bit moments: the WASM kernel is the chain, bit for bit", () => {
  for (const [name, make] of CONFIGS)
    it(name, () => {
      const ref = run(make, "reference", false);
      expect(ref.opt.kernel).toBe("reference");
      for (const packed of [true, false]) {
        const wasm = run(make, "wasm", packed);
        expect(wasm.opt.kernel).toBe("wasm");
        expect(firstDifference(wasm.params, ref.params)).toBeUndefined();
        expect(firstDifference(wasm.state, ref.state)).toBeUndefined();
      }
    });

  it("a NaN gradient: its block reads back NaN in both, and the rest stays the chain's", () => {
    const make = CONFIGS[0]![1];
    const ref = run(make, "reference", false, { nan: true });
    const wasm = run(make, "wasm", true, { nan: true });
    expect(firstDifference(wasm.params, ref.params)).toBeUndefined();
    expect(firstDifference(wasm.state, ref.state)).toBeUndefined();
    const big = ref.params.find((leaf) => leaf.length === 40_003)!;
    expect(Number.isNaN(big[20_000]!)).toBe(true);
    expect(Number.isNaN(big[0]!)).toBe(false);
  });

  it("packed and staged params on a pool of 2 threads store the same bytes", async () => {
    const pool = await nodeThreadPool(2, { minPerThread: 64 });
    try {
      // adamw; clip → adamw amsgrad
      for (const [name, make] of [CONFIGS[0]!, CONFIGS[4]!]) {
        const ref = run(make, "reference", false);
        for (const packed of [true, false]) {
          const threaded = run(make, "wasm", packed, { pool });
          expect(threaded.opt.kernel, name).toBe("wasm");
          expect(firstDifference(threaded.params, ref.params), name).toBeUndefined();
          expect(firstDifference(threaded.state, ref.state), name).toBeUndefined();
        }
      }
    } finally {
      await pool.close();
    }
  });
});

describe("which kernel runs 8-bit moments", () => {
  const params = (dtype: m.Dtype = "float32") => awkwardTree(dtype, 3);
  it("auto: WASM for Adam on float32 params (packed or staged), the reference chain otherwise", () => {
    expect(m.createOptimizer(m.adamw(int8), params()).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adam(int8), m.packTree(params())).kernel).toBe("wasm");
    expect(m.createOptimizer(m.adamw(int8), params("float64")).kernel).toBe("reference");
    for (const make of [() => m.sgd({ momentum: 0.9, ...int8 }), () => m.lion(int8), () => m.rmsprop(int8)])
      expect(m.createOptimizer(make(), params()).kernel).toBe("reference");
    // an ∞-norm clip is not folded into the kernels: the chain runs it
    expect(
      m.createOptimizer(m.chain(m.clipByGlobalNorm(1, { normType: Infinity }), m.adamw(int8)), params())
        .kernel,
    ).toBe("reference");
  });
  it("a forced kernel that cannot run says why", () => {
    expect(() => m.createOptimizer(m.adamw(int8), params(), { kernel: "js" })).toThrow(
      /adamw's 8-bit moments have a WASM kernel only .*the reference chain is their JS path/,
    );
    expect(() => m.createOptimizer(m.adamw(int8), params("float64"), { kernel: "wasm" })).toThrow(
      /8-bit moments for float32 params only/,
    );
    expect(() => m.createOptimizer(m.adagrad(int8), params(), { kernel: "wasm" })).toThrow(
      /adagrad keeps its moments in 8 bits .*Adam's 8-bit moments only/,
    );
  });
  it("a packed arena without room for the codes, scales and tables: the chain runs it", () => {
    // 8 KiB of params leave too little for the 264 KiB of code tables in a fixed-size arena
    const arena = m.createArena({ bytes: 65536, shared: false });
    const packed = m.packTree({ w: new Float32Array(2048).fill(0.5) }, { arena });
    expect(() => m.createOptimizer(m.adamw(int8), packed, { kernel: "wasm" })).toThrow(
      /arena has \d+ bytes free/,
    );
    expect(m.createOptimizer(m.adamw(int8), packed).kernel).toBe("reference");
  });
});

describe("the 8-bit kernel's tables", () => {
  it("work wherever they sit, the memory's first byte included (a block's −1 reads code 0 below them)", () => {
    // one step on 1,024 elements whose blocks' largest magnitudes are negative (their x/scale = −1
    // starts the scan at byte −1), with the tables at offset 0 and after the data: the same bytes
    const run = (tablesFirst: boolean) => {
      const arena = createArena({ bytes: 4 << 20, shared: false });
      const tablesAt = tablesFirst ? int8Tables(arena) : -1;
      const n = 1024;
      const [p, g] = [allocate(arena, n), allocate(arena, n)];
      const codes = [allocate(arena, n / 4), allocate(arena, n / 4)];
      const scales = [allocate(arena, n / 256), allocate(arena, n / 256)];
      const tables = tablesFirst ? tablesAt : int8Tables(arena);
      for (let i = 0; i < n; i++) {
        p[i] = Math.sin(i);
        g[i] = i % 256 === 7 ? -1 : 0.01 * Math.cos(i);
      }
      const k = kernelsFor(arena.memory) as unknown as Record<string, (...a: number[]) => void>;
      // p, g, m's codes and scales, v's, AMSGrad's (unused), n; then coef, l2, wd, −lr, β1, 1−β1,
      // β2, 1−β2, bc1, √bc2, ε, amsgrad, scaled, hasL2, hasWd, index0, three keys, the tables
      k.adamInt8!(
        ...[p, g, codes[0]!, scales[0]!, codes[1]!, scales[1]!].map((a) => a.byteOffset),
        0,
        0,
        n,
        ...[1, 0, 0, -1e-3, 0.9, 0.1, 0.999, 0.001, 0.1, Math.sqrt(0.001), 1e-8],
        ...[0, 0, 0, 0, 0, 7, 8, 9, tables],
      );
      expect(tables === 0).toBe(tablesFirst);
      return [p, ...codes, ...scales].map((a) => Array.from(a));
    };
    expect(run(true)).toEqual(run(false));
  });
});
