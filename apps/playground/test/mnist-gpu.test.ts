/**
 * The MNIST page (mnist.html) in Chromium with WebGPU (`--enable-unsafe-webgpu`: headless, its adapter
 * is SwiftShader's, a software GPU behind the real WebGPU API): Start trains the MLP to completion on
 * TF.js's webgpu backend, every update run by momenta's own WGSL programs, and the page must reach
 * ACCURACY on the held-out digits with a loss curve drawn and its progress at 100 %.
 *
 * The page records RECORDED updates of that same run (the values and saved state before each, its
 * gradients, the values after); Node replays each through the core (`createOptimizer`, the reference
 * chain, float32 leaves) from the page's state with the page's gradients, and the results must agree
 * within float32 rounding. The webgl fallback (`?backend=webgl`) runs its first updates on momenta's
 * WebGL programs and says so. A screenshot is kept in test/artifacts/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSite, type Site, watch } from "@momenta/browser-test";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import { base64ToFloats, createOptimizer, type ShapedLeaf } from "momenta-optim";
import type { Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAIN } from "../scripts/build-digits.ts";
import type { MnistHook, MnistRun, StepRecord } from "../src/mnist/protocol.ts";
import { mnistTransform, RECIPE, totalSteps } from "../src/mnist/recipe.ts";

declare global {
  interface Window {
    __mnist: MnistHook;
  }
}

const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const CONFIG = fileURLToPath(new URL("../vite.config.ts", import.meta.url));

const ACCURACY = 0.88;
/**
 * A step's largest difference from the core's, relative to the tensor's largest magnitude: the WGSL
 * programs compute in float32 (and TF.js sums the clipping norm in float32), the core in float64
 * rounded to float32 leaves.
 */
const BOUND = 1e-6;

const STEPS = totalSteps(TRAIN);
/**
 * The updates replayed: the first (from the empty state, lr 0), the end of warmup, an epoch
 * boundary, spread over the cosine decay, and the last.
 */
const RECORDED = [
  ...new Set([
    0,
    1,
    2,
    3,
    RECIPE.warmupSteps - 1,
    RECIPE.warmupSteps,
    RECIPE.warmupSteps + 1,
    ...[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((f) => Math.round(f * STEPS)),
    STEPS / 2 - 1,
    STEPS - 3,
    STEPS - 2,
    STEPS - 1,
  ]),
].sort((a, b) => a - b);

const floats = (b64: string) => base64ToFloats(b64, "float32") as Float32Array;

/** The core's step from the page's values and state before `rec`, fed its gradients. */
function coreStep(run: MnistRun, rec: StepRecord) {
  const names = Object.keys(run.shapes).sort(); // the order tfjsOptimizer keys its state in
  const params: Record<string, ShapedLeaf> = {};
  for (const n of names) params[n] = { data: floats(rec.before.params[n]!), shape: run.shapes[n]! };
  const opt = createOptimizer(mnistTransform(run.steps), params, { kernel: "reference" });
  if (rec.before.state) opt.loadStateDict(rec.before.state);
  const grads = opt.grads as Record<string, ShapedLeaf>;
  for (const n of names) grads[n]!.data.set(floats(rec.grads[n]!));
  opt.step(opt.grads);
  return { names, params, state: opt.stateDict() };
}

describe("the MNIST page on the GPU (Chromium, WebGPU on SwiftShader)", () => {
  let site: Site | undefined;
  let page: Page | undefined;
  let run: MnistRun | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    site = await openSite(
      "momenta-mnist-",
      (out) => build({ configFile: CONFIG, logLevel: "silent", build: { outDir: out, emptyOutDir: true } }),
      { args: ["--enable-unsafe-webgpu"], viewport: { width: 1280, height: 900 } },
    );
    page = watch(await site.context.newPage(), problems);
    // A shader WebGPU rejects is only a warning, and TF.js goes on with the outputs unwritten.
    page.on("console", (m) => {
      if (m.type() === "warning" && /WGSL|Invalid/.test(m.text())) problems.push(`webgpu: ${m.text()}`);
    });
    await page.goto(`${site.base}mnist.html`);
    await page.waitForFunction(() => window.__mnist?.status() !== "loading", undefined, { timeout: 30_000 });
    expect(
      await page.evaluate(() => window.__mnist.status()),
      (await page.textContent("#notice")) ?? "",
    ).toBe("ready");
    await page.evaluate((steps) => window.__mnist.record(steps), RECORDED);
    await page.click("#start");
    await page.waitForFunction(() => ["done", "error"].includes(window.__mnist.status()), undefined, {
      timeout: 240_000,
    });
    expect(await page.textContent("#notice"), "the page's notice").toBe("");
    run = await page.evaluate(() => window.__mnist.result());
    console.log(
      `MNIST page: ${run!.backend}/${run!.opsKernel}, ${run!.steps} updates in ${run!.seconds.toFixed(1)} s, held-out accuracy by epoch ${run!.accuracies.map((a) => (100 * a).toFixed(1)).join(" ")} %`,
    );
  }, 300_000);

  afterAll(async () => {
    await page?.close();
    await site?.close();
  });

  it(`trains to ≥ ${100 * ACCURACY} % held-out on webgpu, momenta's WGSL programs making every update`, async () => {
    const r = run!;
    expect(r.backend).toBe("webgpu");
    expect(r.path).toBe("ops");
    expect(r.opsKernel).toBe("webgpu");
    expect(r.steps).toBe(STEPS);
    expect(r.losses).toHaveLength(STEPS);
    expect(r.accuracies).toHaveLength(RECIPE.epochs);
    expect(r.accuracies.at(-1)!).toBeGreaterThanOrEqual(ACCURACY);
    expect(r.leaked, "tensors left after the run").toBe(0);
    // It learned: the last epoch's loss is far below the first updates' (ln 10 ≈ 2.3 for a guess).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(r.losses.slice(-30))).toBeLessThan(0.25 * mean(r.losses.slice(0, 5)));

    // The page shows it: a point of the curve per update, the progress bar full, the epochs listed.
    const points = await page!.getAttribute("#loss-curve polyline.raw", "points");
    expect(points!.trim().split(/\s+/)).toHaveLength(STEPS);
    expect(
      await page!.evaluate(() => (document.getElementById("progress") as HTMLProgressElement).position),
    ).toBe(1);
    expect(await page!.textContent("#progress-label")).toContain("Done");
    expect(await page!.locator("#epochs tbody tr").count()).toBe(RECIPE.epochs);
    expect(await page!.textContent("#backend")).toContain("WGSL");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page!.screenshot({ path: join(ARTIFACTS, "mnist.png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  it(`fed the same gradients, its updates equal the core's within ${BOUND} of each tensor's magnitude`, async () => {
    const r = run!;
    expect(r.recorded).toBe(RECORDED.length);
    const worst = { params: 0, state: 0 };
    for (let i = 0; i < r.recorded; i++) {
      const rec = await page!.evaluate((k) => window.__mnist.stepRecord(k), i);
      expect(rec.step).toBe(RECORDED[i]);
      expect(rec.kernel, `update ${rec.step}`).toBe("webgpu");
      expect(rec.before.state === undefined, `update ${rec.step}: state before`).toBe(rec.step === 0);
      const core = coreStep(r, rec);
      const params = Math.max(
        ...core.names.map((n) => relDiff(floats(rec.after.params[n]!), core.params[n]!.data)),
      );
      const state = compareStates(rec.after.state!.state, core.state.state);
      expect(rec.after.state!.step).toBe(core.state.step);
      worst.params = Math.max(worst.params, params);
      worst.state = Math.max(worst.state, state);
      expect(params, `update ${rec.step}: params`).toBeLessThanOrEqual(BOUND);
      expect(state, `update ${rec.step}: state`).toBeLessThanOrEqual(BOUND);
    }
    console.log(
      `MNIST page vs core, ${r.recorded} updates replayed, worst relative difference: params ${worst.params.toExponential(2)}, state ${worst.state.toExponential(2)}`,
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it("falls back to webgl (asked for by ?backend=webgl here), says so, and updates with momenta's WebGL programs", async () => {
    const own: string[] = [];
    const webgl = watch(await site!.context.newPage(), own);
    await webgl.goto(`${site!.base}mnist.html?backend=webgl`);
    await webgl.waitForFunction(() => window.__mnist?.status() !== "loading", undefined, { timeout: 30_000 });
    expect(
      await webgl.evaluate(() => window.__mnist.status()),
      (await webgl.textContent("#notice")) ?? "",
    ).toBe("ready");
    await webgl.click("#start");
    // A few updates show what runs them; the run is left to stop with the page.
    await webgl.waitForFunction(
      () =>
        (document.getElementById("progress") as HTMLProgressElement).value >= 5 ||
        window.__mnist.status() === "error",
      undefined,
      { timeout: 60_000 },
    );
    expect(await webgl.textContent("#notice")).toBe("");
    expect(await webgl.textContent("#backend")).toBe(
      "Backend: webgl: each update runs momenta's own WebGL programs",
    );
    const losses = (await webgl.getAttribute("#loss-curve polyline.raw", "points"))!.trim().split(/\s+/);
    expect(losses.length).toBeGreaterThanOrEqual(5);
    await webgl.close();
    expect(own).toEqual([]);
  }, 90_000);
});
