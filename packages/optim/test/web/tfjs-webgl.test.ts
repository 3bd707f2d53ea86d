/**
 * momenta/tfjs on TF.js's real webgl backend, in Chromium (Debian's `chromium` through playwright-core,
 * the Playground's harness: ./browser.ts). Headless with --disable-gpu, Chromium's WebGL is ANGLE on
 * SwiftShader — a software GPU, but the real WebGL2 API with float32 render targets: TF.js compiles and
 * runs its shaders there as on any GPU.
 *
 * The page (./tfjs-page/) trains a two-layer model with each recipe on path "auto", which must pick the
 * ops path for every chain momenta fuses (the arrays path for one it does not), and reports the
 * gradients it applied. Node replays those gradients through the core (`createOptimizer`, kernel
 * "reference", Float32Array leaves) and compares params and state dicts; the state saved on webgl
 * (`getWeights`) is resumed on the cpu backend in Node and compared with an uninterrupted cpu run.
 */
import "@tensorflow/tfjs-backend-cpu";
import { fileURLToPath } from "node:url";
import { openSite, type Site, sourcePage, watch } from "@momenta/browser-test";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import * as tf from "@tensorflow/tfjs-core";
import { createOptimizer, type ShapedLeaf, type StateDict } from "momenta-optim";
import { stateFromWords, tfjsOptimizer } from "momenta-optim/tfjs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GlInfo,
  type Hook,
  NAMES,
  type Problem,
  problem,
  RECIPES,
  type RunResult,
  type RunSpec,
  type SavedWeight,
  SHAPES,
  STEPS,
} from "./tfjs-page/protocol.ts";

declare global {
  interface Window {
    __tfjs: Hook;
  }
}

const PAGE = fileURLToPath(new URL("./tfjs-page/", import.meta.url));

/**
 * Webgl against the core after STEPS steps, each tensor's largest difference relative to its largest
 * magnitude. WebGL rounds every op to float32 (and its GLSL division and sqrt need not be correctly
 * rounded); the core computes each element in float64 and stores float32.
 */
const BOUND = 1e-5;
/** Every chain TF.js's flags leave on the GPU: no small op handed to the CPU. */
const ALL_ON_GPU = { WEBGL_CPU_FORWARD: false };

/** The worst differences measured, printed at the end (for the record). */
const worst: { what: string; params: number; state: number }[] = [];

/** The largest relDiff over the variables. */
function paramsDiff(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): number {
  expect(Object.keys(a).sort()).toEqual(NAMES);
  return Math.max(...NAMES.map((n) => relDiff(a[n]!, b[n]!)));
}

/** The state dict in saved optimizer weights, checking the iteration count TF.js keeps beside it. */
function stateOf(weights: SavedWeight[], steps: number): StateDict {
  expect(weights).toHaveLength(2);
  expect(weights[0]!.name).toBe("iter");
  expect(weights[1]!.name).toMatch(/\/state$/);
  expect(weights[0]!.values).toEqual([steps]);
  const dict = stateFromWords(weights[1]!.values)!;
  expect(dict.step).toBe(steps);
  expect(dict.paths).toEqual(NAMES);
  return dict;
}

/** What the core computes from the same start and the gradients the page applied. */
function coreRun(recipe: string, p: Problem, grads: Record<string, number[]>[]) {
  const params: Record<string, ShapedLeaf> = {};
  for (const n of NAMES) params[n] = { data: Float32Array.from(p.init[n]!), shape: SHAPES[n]! };
  const opt = createOptimizer(RECIPES[recipe]!.tx(), params, { kernel: "reference" });
  const buffers = opt.grads as Record<string, ShapedLeaf>;
  for (const step of grads) {
    for (const n of NAMES) buffers[n]!.data.set(step[n]!);
    opt.step(opt.grads);
  }
  return {
    params: Object.fromEntries(NAMES.map((n) => [n, params[n]!.data])),
    state: opt.stateDict(),
  };
}

/** momenta/tfjs on Node's cpu backend (path auto: arrays), from `init`, optionally resuming saved weights. */
async function cpuRun(
  recipe: string,
  init: Record<string, number[]>,
  grads: Record<string, number[]>[],
  weights?: SavedWeight[],
) {
  const vars = NAMES.map((n) =>
    tf.tidy(() => tf.variable(tf.tensor(init[n]!, SHAPES[n], "float32"), true, n)),
  );
  const opt = tfjsOptimizer(RECIPES[recipe]!.tx(), { name: `node/${recipe}` });
  if (weights) {
    const saved = weights.map((w) => ({
      name: w.name,
      tensor: tf.tensor(w.values, w.shape, w.dtype as tf.DataType),
    }));
    await opt.setWeights(saved);
    tf.dispose(saved.map((w) => w.tensor));
  }
  for (const step of grads) {
    const named = Object.fromEntries(NAMES.map((n) => [n, tf.tensor(step[n]!, SHAPES[n], "float32")]));
    opt.applyGradients(named);
    tf.dispose(Object.values(named));
  }
  const params = Object.fromEntries(vars.map((v) => [v.name, v.dataSync().slice() as Float32Array]));
  const out = await opt.getWeights();
  const state = stateFromWords(await out[1]!.tensor.data())!;
  const result = { path: opt.path, iterations: opt.iterations, params, state };
  opt.dispose();
  tf.dispose(vars);
  return result;
}

/** The page's checks that hold whatever the recipe: where it ran, no leak, tensors flat per step. */
function expectSound(r: RunResult, recipe: string, steps: number) {
  expect(r.backend, recipe).toBe("webgl");
  expect(r.path, recipe).toBe(RECIPES[recipe]!.path);
  expect(r.grads, recipe).toHaveLength(steps);
  // it trained: the loss went down
  expect(r.losses.at(-1)!, recipe).toBeLessThan(r.losses[0]!);
  // no tensor more after the last step than after the first; everything freed by dispose
  expect(new Set(r.numTensors), `${recipe}: numTensors per step ${r.numTensors}`).toEqual(
    new Set([r.numTensors[0]]),
  );
  expect(r.tensorsAfter, recipe).toBe(r.tensorsBefore);
  if (r.path === "ops") {
    // the kind's own programs ran (every fused kind in RECIPES has them), nothing read back from the
    // GPU while stepping; moments in slot variables
    expect(r.kernel, recipe).toBe("webgl");
    expect(r.readsInSteps, recipe).toBe(0);
    expect(r.slots.length, recipe).toBeGreaterThan(0);
  } else {
    expect(r.readsInSteps, recipe).toBeGreaterThan(0);
    expect(r.slots, recipe).toEqual([]);
  }
}

/** Runs a recipe on the page and compares it with the core; the differences. */
async function expectCore(page: Page, recipe: string, seed: number, what: string) {
  const p = problem(seed);
  const spec: RunSpec = { ...p, recipe, steps: STEPS };
  const r = await page.evaluate((s) => window.__tfjs.run(s), spec);
  expectSound(r, recipe, STEPS);
  const core = coreRun(recipe, p, r.grads);
  const params = paramsDiff(r.final.params, core.params);
  const state = compareStates(stateOf(r.final.weights, STEPS).state, core.state.state);
  worst.push({ what: `${what}: ${recipe}`, params, state });
  expect(params, `${recipe}: params`).toBeLessThan(BOUND);
  expect(state, `${recipe}: state`).toBeLessThan(BOUND);
  // and the params moved well beyond the bound (a run that left them alone would prove nothing)
  expect(paramsDiff(r.final.params, p.init), recipe).toBeGreaterThan(100 * BOUND);
  return r;
}

describe("momenta/tfjs on TF.js's webgl backend in Chromium", () => {
  let site: Site | undefined;

  /** A fresh page whose TF.js runs on webgl with these flags. */
  async function webglPage(problems: string[], flags: Record<string, boolean | number>) {
    const page = watch(await site!.context.newPage(), problems);
    await page.goto(site!.base);
    await page.waitForFunction(() => typeof window.__tfjs === "object");
    const info: GlInfo = await page.evaluate((f) => window.__tfjs.init(f), flags);
    if (!info.ok) throw new Error(`no webgl backend in this Chromium: ${info.error}`);
    expect(info.flags!.WEBGL_VERSION).toBe(2);
    // float32 textures: with half floats TF.js would round every value to 11 bits
    expect(info.flags!.WEBGL_RENDER_FLOAT32_ENABLED).toBe(true);
    for (const [k, v] of Object.entries(flags)) expect(info.flags![k], k).toBe(v);
    return { page, info };
  }

  beforeAll(async () => {
    await tf.setBackend("cpu");
    site = await openSite("momenta-tfjs-webgl-", sourcePage(PAGE));
  }, 120_000);

  afterAll(async () => {
    await site?.close();
    if (worst.length) {
      const top = (k: "params" | "state") => worst.reduce((a, b) => (b[k] > a[k] ? b : a));
      console.log(
        `webgl vs core after ${STEPS} steps, worst relative difference: params ${top("params").params.toExponential(2)} (${top("params").what}), state ${top("state").state.toExponential(2)} (${top("state").what})`,
      );
      if (process.env.TFJS_WEBGL_REPORT)
        for (const w of worst)
          console.log(`  ${w.what}: params ${w.params.toExponential(2)}, state ${w.state.toExponential(2)}`);
    }
  });

  it("runs every fused chain on the ops path, all on the GPU, as the core computes it", async () => {
    const problems: string[] = [];
    const { page, info } = await webglPage(problems, ALL_ON_GPU);
    expect(info.renderer).toMatch(/\S/);
    let seed = 1;
    for (const recipe of Object.keys(RECIPES)) {
      const r = await expectCore(page, recipe, seed++, "all on GPU");
      // every variable and slot lives in a webgl texture: the update ran there, not on a CPU fallback
      if (r.path === "ops") expect(r.onGpu, recipe).toBe(true);
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("agrees with TF.js's default flags and with packing off too", async () => {
    const problems: string[] = [];
    const variants: Record<string, boolean>[] = [{}, { WEBGL_PACK: false }];
    for (const flags of variants) {
      const { page, info } = await webglPage(problems, flags);
      const what = Object.keys(flags).length ? "WEBGL_PACK off" : "default flags";
      expect(info.flags!.WEBGL_PACK_BINARY_OPERATIONS, what).toBe(info.flags!.WEBGL_PACK);
      for (const recipe of ["clip + adamw (mask, schedule)", "rmsprop centered"])
        await expectCore(page, recipe, 100, what);
      await page.close();
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it("saves state on webgl that resumes on Node's cpu backend as an uninterrupted cpu run goes on", async () => {
    const problems: string[] = [];
    const { page } = await webglPage(problems, ALL_ON_GPU);
    const recipe = "clip + adamw (mask, schedule)";
    const half = STEPS / 2;
    const p = problem(200);
    const spec: RunSpec = { ...p, recipe, steps: STEPS, saveAt: half };
    const r = await page.evaluate((s) => window.__tfjs.run(s), spec);
    expect(r.path).toBe("ops");
    expect(r.saved).toBeDefined();
    // the two tensors getWeights handed out belong to the optimizer until its next getWeights
    expect(r.numTensors.slice(0, half)).toEqual(Array(half).fill(r.numTensors[0]));
    expect(r.numTensors.slice(half)).toEqual(Array(STEPS - half).fill(r.numTensors[0]! + 2));
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
    stateOf(r.saved!.weights, half);
    // the clip (at 0.1) acted on some steps: the gradients' global norm exceeded it
    const norms = r.grads.map((g) => Math.hypot(...NAMES.flatMap((n) => g[n]!)));
    expect(norms.filter((x) => x > 0.1).length).toBeGreaterThan(2);

    // Node, cpu backend: one run straight through, one resumed from what webgl saved halfway
    expect(tf.getBackend()).toBe("cpu");
    const straight = await cpuRun(recipe, p.init, r.grads);
    const resumed = await cpuRun(recipe, r.saved!.params, r.grads.slice(half), r.saved!.weights);
    expect(straight.path).toBe("arrays");
    expect(resumed.path).toBe("arrays");
    expect(resumed.iterations).toBe(STEPS);
    expect(resumed.state.step).toBe(STEPS);
    const params = paramsDiff(resumed.params, straight.params);
    const state = compareStates(resumed.state.state, straight.state.state);
    worst.push({ what: "resumed on cpu vs straight on cpu", params, state });
    expect(params).toBeLessThan(BOUND);
    expect(state).toBeLessThan(BOUND);
    // and the webgl run, continued on webgl, agrees with both
    const onWebgl = paramsDiff(r.final.params, straight.params);
    const onWebglState = compareStates(stateOf(r.final.weights, STEPS).state, straight.state.state);
    worst.push({ what: "webgl straight vs cpu straight", params: onWebgl, state: onWebglState });
    expect(onWebgl).toBeLessThan(BOUND);
    expect(onWebglState).toBeLessThan(BOUND);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
