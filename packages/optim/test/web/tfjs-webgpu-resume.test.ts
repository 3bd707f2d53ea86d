/**
 * Save on webgpu → resume on cpu (and back), in Chromium on SwiftShader's WebGPU adapter (see
 * tfjs-webgpu.test.ts for the setup).
 *
 * The page (./webgpu-page/) trains three variables SAVE_AT steps on webgpu (the kind's own WGSL
 * programs) with seeded gradients, saves them (`getWeights`, read asynchronously) and goes on
 * RESUME_STEPS steps there. Node restores the save into a fresh `tfjsOptimizer(sameTx)` on TF.js's
 * cpu backend (`setWeights`, before its first step) and goes on with the same gradients; the core
 * (the reference chain) goes on from the same state dict. All three must end at the same params and
 * state. Then the other way: saved on cpu, resumed on webgpu. Last, what needs a synchronous read on
 * webgpu: the `momenta` getter after webgpu steps, and a strict clip's norm — both refused there.
 */
import { fileURLToPath } from "node:url";
import { openSite, type Site, sourcePage, watch } from "@momenta/browser-test";
import "@tensorflow/tfjs-backend-cpu";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import * as tf from "@tensorflow/tfjs-core";
import { createOptimizer, type ShapedLeaf, type StateDict } from "momenta-optim";
import { stateFromWords, tfjsOptimizer } from "momenta-optim/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GetterProbe,
  gradsAt,
  NAMES,
  RESUME_RECIPES,
  RESUME_STEPS,
  SAVE_AT,
  type Saved,
  SHAPES,
  startValues,
  type WebGpuHook,
} from "./webgpu-page/protocol.ts";

declare global {
  interface Window {
    __webgpu: WebGpuHook;
  }
}

/** playwright-core's Page (the harness's dependency, not this package's). */
type Page = Parameters<typeof watch>[0];

const PAGE = fileURLToPath(new URL("./webgpu-page/", import.meta.url));

/**
 * The ends of RESUME_STEPS steps from the same save: each tensor's largest difference relative to its
 * largest magnitude. GPU and CPU kernels both compute in float32, the core in float64 stored as
 * float32: a step's rounding (≤ 1.6e-7 of a tensor, tfjs-webgpu.test.ts) compounds over the steps.
 */
const BOUND = 1e-6;

/** A run's state dict, from getWeights' words. */
const dictOf = (s: Saved) => stateFromWords(s.stateWords)!;

/**
 * The core (reference chain) from a save after SAVE_AT steps, or from startValues, through steps
 * `from` … `to` − 1 of gradsAt: its params and state dict after them.
 */
function core(recipe: string, saved: Saved | undefined, to: number) {
  const values = saved?.params ?? startValues();
  const params: Record<string, ShapedLeaf> = {};
  for (const n of NAMES) params[n] = { data: Float32Array.from(values[n]!), shape: SHAPES[n]! };
  const opt = createOptimizer(RESUME_RECIPES[recipe]!(), params, { kernel: "reference" });
  if (saved) opt.loadStateDict(dictOf(saved));
  for (let t = saved ? SAVE_AT : 0; t < to; t++) {
    const g = gradsAt(t);
    const grads = opt.grads as Record<string, ShapedLeaf>;
    for (const n of NAMES) grads[n]!.data.set(g[n]!);
    opt.step(opt.grads);
  }
  return {
    params: Object.fromEntries(NAMES.map((n) => [n, Array.from(params[n]!.data)])),
    dict: opt.stateDict(),
  };
}

/** The values and weights of an optimizer and its variables on cpu, as the page saves them. */
async function saveCpu(opt: tf.Optimizer, vars: tf.Variable[]): Promise<Saved> {
  const weights = await opt.getWeights();
  return {
    params: Object.fromEntries(vars.map((v) => [v.name, Array.from(v.dataSync())])),
    iter: weights[0]!.tensor.dataSync()[0]!,
    stateWords: Array.from(weights[1]!.tensor.dataSync()),
  };
}

/**
 * On TF.js's cpu backend, steps `from` … `to` − 1 of gradsAt: from `saved` (setWeights into a fresh
 * optimizer), or from startValues; the save after SAVE_AT steps (when passed) and at the end.
 */
async function onCpu(recipe: string, from: Saved | undefined) {
  expect(tf.getBackend()).toBe("cpu");
  const start = tf.memory().numTensors;
  const values = from?.params ?? startValues();
  const vars = NAMES.map((n) =>
    tf.tidy(() => tf.variable(tf.tensor(values[n]!, SHAPES[n], "float32"), true, n)),
  );
  const opt = tfjsOptimizer(RESUME_RECIPES[recipe]!(), { name: `resume/${recipe}` });
  if (from) {
    const weights = [
      { name: "iter", tensor: tf.scalar(from.iter, "int32") },
      { name: `resume/${recipe}/state`, tensor: tf.tensor1d(from.stateWords, "int32") },
    ];
    await opt.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    expect(opt.iterations).toBe(SAVE_AT);
  }
  let saved: Saved | undefined;
  for (let t = from ? SAVE_AT : 0; t < SAVE_AT + RESUME_STEPS; t++) {
    if (t === SAVE_AT && !from) saved = await saveCpu(opt, vars);
    const g = gradsAt(t);
    const grads = Object.fromEntries(NAMES.map((n) => [n, tf.tensor(g[n]!, SHAPES[n], "float32")]));
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  expect(opt.path).toBe("arrays"); // "auto" on cpu: momenta's own update of the backend's arrays
  const final = await saveCpu(opt, vars);
  opt.dispose();
  tf.dispose(vars);
  expect(tf.memory().numTensors).toBe(start);
  return { saved, final };
}

describe("save on webgpu → resume on cpu, and back (Chromium, SwiftShader's adapter)", () => {
  let site: Site | undefined;
  const worst = { params: 0, state: 0, where: "" };

  beforeAll(async () => {
    await tf.setBackend("cpu");
    await tf.ready();
    site = await openSite("momenta-tfjs-webgpu-resume-", sourcePage(PAGE), {
      args: ["--enable-unsafe-webgpu"],
    });
  }, 120_000);

  afterAll(async () => {
    await site?.close();
    console.log(
      `save → resume across webgpu and cpu (${SAVE_AT} + ${RESUME_STEPS} steps a recipe), worst relative difference at the end: params ${worst.params.toExponential(2)}, state ${worst.state.toExponential(2)} (${worst.where})`,
    );
  });

  /** Runs `call` in a fresh page; what the page reported (errors, shaders WebGPU rejected) into `problems`. */
  async function inPage<T>(call: (page: Page) => Promise<T>, problems: string[]): Promise<T> {
    const page = watch(await site!.context.newPage(), problems);
    // WebGPU reports a shader it rejects as a warning, and TF.js goes on (see tfjs-webgpu.test.ts)
    page.on("console", (m) => {
      if (m.type() === "warning" && /WGSL|Invalid/.test(m.text())) problems.push(`webgpu: ${m.text()}`);
    });
    await page.goto(site!.base);
    const r = await call(page).catch((e) => {
      throw new Error(`${(e as Error).message}; the page said: ${problems.join("; ")}`);
    });
    await page.close();
    return r;
  }

  /** Two ends of the same steps (`step` in all), within BOUND: params, step count, state. */
  function expectSame(
    what: string,
    a: { params: Record<string, number[]>; dict: StateDict },
    b: typeof a,
    step = SAVE_AT + RESUME_STEPS,
  ) {
    const params = Math.max(...NAMES.map((n) => relDiff(a.params[n]!, b.params[n]!)));
    expect(a.dict.step, `${what}: step`).toBe(step);
    expect(b.dict.step, `${what}: step`).toBe(step);
    const state = compareStates(a.dict.state, b.dict.state);
    expect(params, `${what}: params`).toBeLessThanOrEqual(BOUND);
    expect(state, `${what}: state`).toBeLessThanOrEqual(BOUND);
    if (Math.max(params, state) > Math.max(worst.params, worst.state)) worst.where = what;
    worst.params = Math.max(worst.params, params);
    worst.state = Math.max(worst.state, state);
  }

  const ends = (s: Saved) => ({ params: s.params, dict: dictOf(s) });

  for (const recipe of Object.keys(RESUME_RECIPES)) {
    it(`${recipe}: saved on webgpu after ${SAVE_AT} steps, resumed on cpu, ends where webgpu and the core do`, async () => {
      const problems: string[] = [];
      const gpu = await inPage((p) => p.evaluate((r) => window.__webgpu.saveAndGoOn(r), recipe), problems);
      expect(problems).toEqual([]);
      expect(gpu.backend).toBe("webgpu");
      expect(gpu.kernels).toEqual(Array(SAVE_AT + RESUME_STEPS).fill("webgpu"));
      expect(gpu.leaked).toBe(0);
      const saved = gpu.saved!;
      expect(saved.iter).toBe(SAVE_AT);
      expect(dictOf(saved).step).toBe(SAVE_AT);
      expect(gpu.final.iter).toBe(SAVE_AT + RESUME_STEPS);
      const cpu = (await onCpu(recipe, saved)).final;
      expect(cpu.iter).toBe(SAVE_AT + RESUME_STEPS);
      const ref = core(recipe, saved, SAVE_AT + RESUME_STEPS);
      expectSame(`${recipe}: webgpu → cpu vs the core`, ends(cpu), ref);
      expectSame(`${recipe}: webgpu → webgpu vs the core`, ends(gpu.final), ref);
      expectSame(`${recipe}: webgpu → cpu vs webgpu → webgpu`, ends(cpu), ends(gpu.final));
      // the steps after the save moved the params (a resume that did nothing would differ)
      expect(relDiff(cpu.params["gpu/w"]!, saved.params["gpu/w"]!)).toBeGreaterThan(1e-3);
    }, 120_000);

    it(`${recipe}: saved on cpu after ${SAVE_AT} steps, resumed on webgpu, ends where cpu and the core do`, async () => {
      const cpu = await onCpu(recipe, undefined);
      const saved = cpu.saved!;
      expect(saved.iter).toBe(SAVE_AT);
      const problems: string[] = [];
      const gpu = await inPage(
        (p) => p.evaluate(([r, s]) => window.__webgpu.resumeFrom(r, s), [recipe, saved] as const),
        problems,
      );
      expect(problems).toEqual([]);
      expect(gpu.backend).toBe("webgpu");
      expect(gpu.kernels).toEqual(Array(RESUME_STEPS).fill("webgpu"));
      expect(gpu.leaked).toBe(0);
      expect(gpu.final.iter).toBe(SAVE_AT + RESUME_STEPS);
      const ref = core(recipe, saved, SAVE_AT + RESUME_STEPS);
      expectSame(`${recipe}: cpu → webgpu vs the core`, ends(gpu.final), ref);
      expectSame(`${recipe}: cpu → cpu vs the core`, ends(cpu.final), ref);
      expectSame(`${recipe}: cpu → webgpu vs cpu → cpu`, ends(gpu.final), ends(cpu.final));
    }, 120_000);
  }

  const GETTER_RECIPE = "clip → adamw, warmup-cosine lr, masked";

  /** The getter's handle (params, state dict) after SAVE_AT webgpu steps, and the device after it. */
  function expectGetterRight(r: GetterProbe, problems: string[]) {
    expect(r.kernel).toBe("webgpu");
    expect(r.error).toBeUndefined();
    const at = core(GETTER_RECIPE, undefined, SAVE_AT);
    expectSame(
      "the momenta getter vs the core",
      { params: r.params!, dict: r.stateDict as StateDict },
      at,
      SAVE_AT,
    );
    // the device is still there: one more step, saved asynchronously, is the core's
    expect(r.after.error).toBeUndefined();
    const next = core(GETTER_RECIPE, undefined, SAVE_AT + 1);
    const dict = stateFromWords(r.after.stateWords!)!;
    expect(dict.step).toBe(SAVE_AT + 1);
    expect(compareStates(dict.state, next.dict.state)).toBeLessThanOrEqual(BOUND);
    expect(problems).toEqual([]);
  }

  it("after `await getWeights()`, the synchronous momenta getter gives the core's state, and the device stays", async () => {
    const problems: string[] = [];
    const r = await inPage(
      (p) => p.evaluate((x) => window.__webgpu.syncGetter(x, true), GETTER_RECIPE),
      problems,
    );
    expectGetterRight(r, problems);
  }, 120_000);

  it("without a read first, the synchronous momenta getter after webgpu steps throws, pointing to momentaAsync(), which gives the core's state; the device stays", async () => {
    // TF.js's webgpu `readSync` (through a canvas) on Chromium's SwiftShader adapter — of any
    // GPU-resident tensor, a plain `tf.add` of 2,000 elements too — returned zeros and lost the
    // device (the next asynchronous read: "A valid external Instance reference no longer exists"):
    // the getter refuses to read synchronously on webgpu
    const problems: string[] = [];
    const r = await inPage(
      (p) => p.evaluate((x) => window.__webgpu.syncGetter(x, false), GETTER_RECIPE),
      problems,
    );
    expect(r.error).toMatch(/momentaAsync\(\)/);
    expectGetterRight({ ...r, error: undefined }, problems);
  }, 120_000);

  it("refuses a strict clip (errorIfNonfinite) on webgpu, whose norm it cannot read back synchronously, changing nothing", async () => {
    const problems: string[] = [];
    const r = await inPage((p) => p.evaluate(() => window.__webgpu.strictClip()), problems);
    expect(r.error).toMatch(/errorIfNonfinite .*webgpu.*nothing was changed/);
    expect(r.after).toEqual(r.before);
    expect(r.iterations).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);
});
