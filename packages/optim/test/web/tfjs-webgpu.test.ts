/**
 * momenta/tfjs on TF.js's real webgpu and webgl backends, in Chromium (Debian's `chromium` through
 * playwright-core, started with `--enable-unsafe-webgpu`: headless, its WebGPU adapter is
 * SwiftShader's — a software GPU behind the real WebGPU API, on which TF.js compiles and runs its
 * WGSL as on any GPU; its WebGL2 is SwiftShader's too, with float32 textures).
 *
 * The page (./webgpu-page/) trains three variables with each recipe — every fused kind — on each
 * backend, on the kind's GPU programs (`gpu` in its module under src/kernels/kinds/; WGSL on webgpu,
 * GLSL on packed textures on webgl: a dispatch per state buffer and one per variable, LAMB's trust
 * ratio by TF.js's reductions between them). At every one of the STEPS steps, Node takes the page's
 * values and saved state from before the step and its gradients, runs one step of the core (the
 * reference chain, float32 leaves) from there, and compares it with the page's values and state
 * after the step.
 */
import { fileURLToPath } from "node:url";
import { openSite, type Site, sourcePage, watch } from "@momenta/browser-test";
import { compareStates, relDiff } from "@momenta/browser-test/compare";
import { createOptimizer, type ShapedLeaf } from "momenta-optim";
import { stateFromWords } from "momenta-optim/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NAMES, RECIPES, SHAPES, STEPS, type StepRecord, type WebGpuHook } from "./webgpu-page/protocol.ts";

declare global {
  interface Window {
    __webgpu: WebGpuHook;
  }
}

const PAGE = fileURLToPath(new URL("./webgpu-page/", import.meta.url));

/**
 * One step on the GPU against the core from the same values, state and gradients: each tensor's
 * largest difference relative to its largest magnitude. The programs compute in float32 (the bias
 * corrections as reciprocals, as the WASM kernel); the core in float64, stored as float32.
 */
const BOUND = 1e-6;

/** The core's step from the page's state before `step`: the params and state dict after it. */
function coreStep(recipe: string, step: StepRecord) {
  const params: Record<string, ShapedLeaf> = {};
  for (const n of NAMES) params[n] = { data: Float32Array.from(step.before.params[n]!), shape: SHAPES[n]! };
  const opt = createOptimizer(RECIPES[recipe]!(), params, { kernel: "reference" });
  if (step.before.stateWords) opt.loadStateDict(stateFromWords(step.before.stateWords)!);
  const grads = opt.grads as Record<string, ShapedLeaf>;
  for (const n of NAMES) grads[n]!.data.set(step.grads[n]!);
  opt.step(opt.grads);
  return { params, state: opt.stateDict() };
}

describe.each(["webgpu", "webgl"] as const)(
  "momenta/tfjs on TF.js's %s backend (Chromium on SwiftShader), step by step",
  (backend) => {
    let site: Site | undefined;
    const worst = { params: 0, state: 0 };

    beforeAll(async () => {
      site = await openSite("momenta-tfjs-webgpu-", sourcePage(PAGE), {
        args: ["--enable-unsafe-webgpu"],
      });
    }, 120_000);

    afterAll(async () => {
      await site?.close();
      console.log(
        `${backend} vs core, one step from the same state (${STEPS} steps a recipe), worst relative difference: params ${worst.params.toExponential(2)}, state ${worst.state.toExponential(2)}`,
      );
    });

    for (const recipe of Object.keys(RECIPES))
      it(`${recipe}: every step equals the core's from the same state within ${BOUND}, on its ${backend} programs`, async () => {
        const problems: string[] = [];
        const page = watch(await site!.context.newPage(), problems);
        // WebGPU reports a shader that does not compile (or a pipeline it invalidates) as a warning, and
        // TF.js goes on: the outputs are then never written — this test must say so, not just differ
        page.on("console", (m) => {
          if (m.type() === "warning" && /WGSL|Invalid/.test(m.text())) problems.push(`webgpu: ${m.text()}`);
        });
        await page.goto(site!.base);
        const r = await page
          .evaluate(([name, on]) => window.__webgpu.run(name, on), [recipe, backend] as const)
          .catch((e) => {
            throw new Error(`${(e as Error).message}; the page said: ${problems.join("; ")}`);
          });
        await page.close();
        expect(problems).toEqual([]);
        expect(r.backend).toBe(backend);
        expect(r.steps).toHaveLength(STEPS);
        for (const [t, step] of r.steps.entries()) {
          expect(step.kernel, `step ${t}`).toBe(backend);
          const core = coreStep(recipe, step);
          const params = Math.max(...NAMES.map((n) => relDiff(step.after.params[n]!, core.params[n]!.data)));
          const state = compareStates(stateFromWords(step.after.stateWords!)!.state, core.state.state);
          worst.params = Math.max(worst.params, params);
          worst.state = Math.max(worst.state, state);
          expect(params, `${recipe}, step ${t}: params`).toBeLessThanOrEqual(BOUND);
          expect(state, `${recipe}, step ${t}: state`).toBeLessThanOrEqual(BOUND);
        }
        // nothing grows per step, and nothing is left once the optimizer and variables are disposed
        expect(new Set(r.growth)).toEqual(new Set([0]));
        expect(r.leaked).toBe(0);
      }, 120_000);
  },
);
