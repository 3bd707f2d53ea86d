/**
 * momenta-optim/webgpu — the standalone WebGPU path, no TF.js — in Chromium (Debian's `chromium`
 * through playwright-core, `--enable-unsafe-webgpu`: headless, its WebGPU adapter is SwiftShader's).
 *
 * The page (./webgpu-standalone-page/) trains five leaves (sizes multiples of 4, on vec4 lanes, and
 * not; two larger than a norm workgroup's 2048) with each recipe. At every one of the STEPS steps,
 * Node takes the page's params and state dict (read back asynchronously) from before the step and its
 * gradients, runs one step of the core (the reference chain, float32 leaves) from there, and compares
 * it with the page's params and state dict after the step. Then: the state dict round trip, the core's
 * state dict loaded, bad input refused with nothing changed, no allocation per step, the refusals.
 */
import { fileURLToPath } from "node:url";
import { openSite, type Site, sourcePage, watch } from "@momenta/browser-test";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import { createOptimizer, type ShapedLeaf, type StateDict } from "momenta-optim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  gradsAt,
  NAMES,
  RECIPES,
  ROUND_TRIP_AT,
  SHAPES,
  type Snapshot,
  STEPS,
  type StandaloneHook,
  startValues,
} from "./webgpu-standalone-page/protocol.ts";

declare global {
  interface Window {
    __standalone: StandaloneHook;
  }
}

type Page = Awaited<ReturnType<Site["context"]["newPage"]>>;

const PAGE = fileURLToPath(new URL("./webgpu-standalone-page/", import.meta.url));

/**
 * One step on the GPU against the core from the same params, state and gradients: each tensor's
 * largest difference relative to its largest magnitude. The GPU computes in float32 (the clip's norm
 * too), the core in float64, stored as float32.
 */
const BOUND = 1e-6;

/** A core optimizer on these params, with this state loaded (when given). */
function core(recipe: string, params: Record<string, number[]>, state?: StateDict) {
  const leaves: Record<string, ShapedLeaf> = {};
  for (const n of NAMES) leaves[n] = { data: Float32Array.from(params[n]!), shape: SHAPES[n]! };
  const opt = createOptimizer(RECIPES[recipe]!(), leaves, { kernel: "reference" });
  if (state) opt.loadStateDict(state);
  const step = (t: number) => {
    const grads = opt.grads as Record<string, ShapedLeaf>;
    const g = gradsAt(t);
    for (const n of NAMES) grads[n]!.data.set(g[n]!);
    opt.step(opt.grads);
  };
  const snapshot = (): Snapshot => ({
    params: Object.fromEntries(NAMES.map((n) => [n, Array.from(leaves[n]!.data)])),
    state: opt.stateDict(),
  });
  return { opt, step, snapshot };
}

/** The worst relative differences of params and state between the page's snapshot and the core's. */
function differences(page: Snapshot, expected: Snapshot): { params: number; state: number } {
  expect(page.state.step).toBe(expected.state.step);
  expect(page.state.paths).toEqual(expected.state.paths);
  // the page's scheduled values: Chromium's Math.cos may differ from Node's in the last bit
  const hyper = (d: StateDict) => d.hyperparams as Record<string, unknown>;
  expect(Object.keys(hyper(page.state)).sort()).toEqual(Object.keys(hyper(expected.state)).sort());
  for (const [k, v] of Object.entries(hyper(expected.state))) {
    const got = hyper(page.state)[k];
    if (typeof v === "number" && typeof got === "number") expect(got, k).toBeCloseTo(v, 15);
    else expect(got, k).toEqual(v);
  }
  return {
    params: Math.max(...NAMES.map((n) => relDiff(page.params[n]!, expected.params[n]!))),
    state: compareStates(page.state.state, expected.state.state),
  };
}

describe("momenta-optim/webgpu on the browser's WebGPU device (Chromium, SwiftShader's adapter)", () => {
  let site: Site | undefined;
  const worst = { params: 0, state: 0 };

  beforeAll(async () => {
    site = await openSite("momenta-webgpu-standalone-", sourcePage(PAGE), {
      args: ["--enable-unsafe-webgpu"],
    });
  }, 120_000);

  afterAll(async () => {
    await site?.close();
    console.log(
      `standalone webgpu vs core, one step from the same state (${STEPS} steps a recipe), worst relative difference: params ${worst.params.toExponential(2)}, state ${worst.state.toExponential(2)}`,
    );
  });

  /** Runs `f` on a fresh page; WebGPU reports a shader it rejects only as a warning: any is a failure. */
  async function onPage<T>(f: (page: Page) => Promise<T>): Promise<T> {
    const problems: string[] = [];
    const page = watch(await site!.context.newPage(), problems);
    page.on("console", (m) => {
      if (m.type() === "warning" && /WGSL|Invalid|WebGPU/i.test(m.text()))
        problems.push(`webgpu: ${m.text()}`);
    });
    await page.goto(site!.base);
    const r = await f(page).catch((e) => {
      throw new Error(`${(e as Error).message}; the page said: ${problems.join("; ")}`);
    });
    await page.close();
    expect(problems).toEqual([]);
    return r;
  }

  for (const recipe of Object.keys(RECIPES))
    it(`${recipe}: every step equals the core's from the same params and state within ${BOUND}`, async () => {
      const r = await onPage((page) => page.evaluate((name) => window.__standalone.run(name), recipe));
      // before any step, the state dict is createOptimizer's for the same chain and params, exactly
      expect(r.initial).toEqual(core(recipe, startValues()).snapshot().state);
      expect(r.steps).toHaveLength(STEPS);
      for (const [t, step] of r.steps.entries()) {
        expect(step.before.state.step, `step ${t}`).toBe(t);
        const c = core(recipe, step.before.params, step.before.state);
        c.step(t);
        const d = differences(step.after, c.snapshot());
        worst.params = Math.max(worst.params, d.params);
        worst.state = Math.max(worst.state, d.state);
        expect(d.params, `${recipe}, step ${t}: params`).toBeLessThanOrEqual(BOUND);
        expect(d.state, `${recipe}, step ${t}: state`).toBeLessThanOrEqual(BOUND);
      }
    }, 120_000);

  for (const recipe of [
    "clip → adamw maximize",
    "rmsprop centered, momentum, L2, maximize",
    "nadamw scheduled β1, maximize; masked",
    "schedule-free adamw warmup, decay at z, maximize, scheduled β1; masked",
  ])
    it(`${recipe}: stateDict → loadStateDict into a fresh optimizer continues identically; a step submitted during the read is not in it`, async () => {
      const r = await onPage((page) => page.evaluate((name) => window.__standalone.roundTrip(name), recipe));
      expect(r.resumedStepCount).toBe(2 * ROUND_TRIP_AT);
      expect(r.resumed.state.step).toBe(2 * ROUND_TRIP_AT);
      // the same float32 operations from the same values: bit for bit
      expect(r.resumed).toEqual(r.original);
    }, 120_000);

  for (const recipe of [
    "clip → adamw maximize",
    "nadamw scheduled β1, maximize; masked",
    "clip (1-norm) → adagrad lrDecay, L2, initial accumulator",
    "clip → lamb decay, maximize, no bias correction, scheduled lr; masked",
  ])
    it(`${recipe}: loads the core's state dict and steps on as the core does`, async () => {
      const c = core(recipe, startValues());
      for (let t = 0; t < 6; t++) c.step(t);
      const saved = c.snapshot();
      const after = await onPage((page) =>
        page.evaluate(([name, s]) => window.__standalone.fromCore(name, s, 6), [
          recipe,
          JSON.stringify(saved),
        ] as [string, string]),
      );
      c.step(6);
      const d = differences(after, c.snapshot());
      expect(d.params).toBeLessThanOrEqual(BOUND);
      expect(d.state).toBeLessThanOrEqual(BOUND);
    }, 120_000);

  for (const recipe of [
    "clip → adamw maximize",
    "clip → lamb decay, maximize, no bias correction, scheduled lr; masked",
  ])
    it(`${recipe}: params and gradients at offsets in one buffer each step as in a buffer each`, async () => {
      const r = await onPage((page) => page.evaluate((name) => window.__standalone.packed(name, 6), recipe));
      expect(r.offsets[0]).toBeGreaterThan(0);
      expect(r.packed.state.step).toBe(6);
      expect(r.packed).toEqual(r.separate);
    }, 120_000);

  it("bad input throws a clear error and changes nothing (params and state read back)", async () => {
    const r = await onPage((page) => page.evaluate(() => window.__standalone.badInputs()));
    const errors = Object.fromEntries(r.attempts.map((a) => [a.what, a.error]));
    for (const a of r.attempts) {
      expect(a.error, a.what).toBeDefined();
      expect(a.unchanged, a.what).toBe(true);
    }
    expect(errors["a gradient buffer too small"]).toMatch(
      /^TypeError: webgpuOptimizer: step: the gradient for 'big\/w' needs 2112 float32 values \(8448 bytes\), and its buffer has 40 bytes$/,
    );
    expect(errors["a missing gradient"]).toMatch(/no gradient for 'a\/k'/);
    expect(errors["a gradient for a param it does not train"]).toMatch(
      /gradients for \[a\/x\], which this optimizer does not train/,
    );
    expect(errors["a gradient without STORAGE usage"]).toMatch(
      /the gradient for 'a\/w'.*lacks STORAGE usage/,
    );
    expect(errors["a gradient that is its param's buffer"]).toMatch(
      /the gradient for 'a\/w' overlaps param 'a\/w'/,
    );
    expect(errors["a gradient that is not a buffer"]).toMatch(/not a GPUBuffer or \{ buffer, offset \}/);
    expect(errors["no gradients"]).toMatch(/expected a gradient per param name/);
    expect(errors["a state dict of another format"]).toMatch(
      /^TypeError: webgpuOptimizer: loadStateDict: not a momenta optimizer state dict/,
    );
    expect(errors["a state dict for other params"]).toMatch(/loadStateDict: saved for different params/);
    expect(errors["a state dict with a negative step"]).toMatch(/loadStateDict: step must be a whole number/);
    expect(errors["a state dict with a state of another layout"]).toMatch(/loadStateDict: /);
    expect(errors["not a state dict"]).toMatch(/loadStateDict: expected a state dict object/);
    expect(errors["a schedule's value out of range (lr −1)"]).toMatch(/^RangeError: .*lr.*-1/);
    expect(r.stepCountAfter).toBe(4);
    expect(r.stepCountAfterGoodStep).toBe(5);
  }, 120_000);

  for (const recipe of [
    "adamw",
    "clip → rmsprop momentum, scheduled lr",
    "clip → lamb decay, maximize, no bias correction, scheduled lr; masked",
    "schedule-free adamw",
    "sgd nesterov, L2, maximize; masked",
  ])
    it(`${recipe}: no buffer, bind group or pipeline is created per step; dispose destroys every buffer it created`, async () => {
      const r = await onPage((page) => page.evaluate((name) => window.__standalone.growth(name), recipe));
      expect(r).toMatchObject({ buffers: 0, bindGroups: 0, pipelines: 0 });
      expect(r.created).toBeGreaterThan(0);
      expect(r.destroyed).toBe(r.created);
    }, 120_000);

  it("refuses what it cannot run, saying why", async () => {
    const r = await onPage((page) => page.evaluate(() => window.__standalone.refusals()));
    const cannot = "TypeError: webgpuOptimizer: this path cannot run this chain: ";
    expect(r["clip with errorIfNonfinite"]).toMatch(
      new RegExp(`^${cannot}clipByGlobalNorm with errorIfNonfinite must read the norm back`),
    );
    expect(r["clipByValue → adamw"]).toMatch(
      new RegExp(`^${cannot}it is not an optimizer alias that momenta fuses`),
    );
    expect(r.adafactor).toMatch(new RegExp(`^${cannot}it is not an optimizer alias that momenta fuses`));
    expect(r["adamw, bfloat16 state"]).toMatch(new RegExp(`^${cannot}adamw keeps its moments as bfloat16`));
    expect(r["a shape the buffer is too small for"]).toBe(
      "RangeError: webgpuOptimizer: param 'w' needs 36 float32 values (144 bytes), and its buffer has 120 bytes",
    );
    expect(r["a param offset not aligned"]).toMatch(
      /^RangeError: webgpuOptimizer: param 'w': offset must be a whole number of bytes ≥ 0, a multiple of the device's minStorageBufferOffsetAlignment \(256\), got 4$/,
    );
    expect(r["no device"]).toMatch(/^TypeError: webgpuOptimizer: device must be a GPUDevice/);
    expect(r["a param given as a bare buffer"]).toMatch(/param 'w' must be \{ buffer: GPUBuffer, shape \}/);
    expect(r["overlapping params"]).toMatch(/param 'b' overlaps param 'a' in the same buffer/);
    expect(r["a step after dispose"]).toMatch(/^Error: webgpuOptimizer: step on a disposed optimizer/);
  }, 120_000);
});
