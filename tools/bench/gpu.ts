/**
 * `npm run bench:gpu`: the optimizer step on TF.js's GPU backends, in headless Chromium (Debian's
 * `chromium` through playwright-core, a page served from loopback: ./gpu-page/). For webgpu (the
 * SwiftShader adapter `--enable-unsafe-webgpu` gives a headless Chromium) and webgl (WebGL2 on
 * SwiftShader), a 784 → 1024 → 256 → 10 MLP's variables (1.07M params) take the same gradients
 * every step from `tf.train.adam` and from momenta's `tfjsOptimizer(adamw())` in interleaved rounds,
 * each timed to the end of the GPU's work. SwiftShader runs on this machine's CPU: read the figures
 * as ratios measured in the same page, not as a GPU's speed.
 *
 *     npm run bench:gpu [-- --steps 10 --rounds 5]
 *
 * Then the standalone path (momenta-optim/webgpu, no TF.js): the same shapes as GPUBuffers, AdamW,
 * rounds of steps each timed to `device.queue.onSubmittedWorkDone()`, on a page of its own.
 *
 * The last line is JSON: {"webgpuVsTfTrain": x, "webglVsTfTrain": y, "standaloneMparamsPerS": z},
 * x and y momenta's speed over tf.train's (medians of rounds), z the standalone path's M params/s
 * (the median round's; null when it could not be measured).
 */
import { fileURLToPath } from "node:url";
import { openSite, sourcePage, watch } from "@momenta/browser-test";
import { type GpuHook, type GpuRunResult, PARAMS, type StandaloneResult } from "./gpu-page/protocol.ts";
import { median } from "./table.ts";

declare global {
  interface Window {
    __gpuBench: GpuHook;
  }
}

const PAGE = fileURLToPath(new URL("./gpu-page/", import.meta.url));

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const steps = arg("--steps", 10);
const rounds = arg("--rounds", 5);

const site = await openSite("momenta-bench-gpu-", sourcePage(PAGE), {
  args: ["--enable-unsafe-webgpu"],
});
const ratios: Record<string, number | null> = {};
let standalone: number | null = null;
try {
  for (const backend of ["webgpu", "webgl"] as const) {
    const problems: string[] = [];
    const page = watch(await site.context.newPage(), problems);
    await page.goto(site.base);
    console.error(`${backend}: ${rounds} rounds of ${steps} steps …`);
    let r: GpuRunResult;
    try {
      r = await page.evaluate((spec) => window.__gpuBench.run(spec), { backend, steps, rounds });
    } catch (e) {
      console.log(`${backend}: not measured (${(e as Error).message.split("\n")[0]})`);
      ratios[backend] = null;
      await page.close();
      continue;
    }
    await page.close();
    if (problems.length) console.error(`${backend}: the page reported ${problems.join("; ")}`);
    const [tfMs, moMs] = [median(r.tfTrainMs), median(r.momentaMs)];
    const perRound = r.tfTrainMs.map((t, i) => (t / r.momentaMs[i]!).toFixed(2)).join(" ");
    ratios[backend] = tfMs / moMs;
    console.log(
      `${r.backend} (${r.device}; momenta's path: ${r.path}), ${PARAMS} params, ms/step (median of ${rounds}): tf.train.adam ${tfMs.toFixed(1)} (${(PARAMS / tfMs / 1e3).toFixed(1)} M params/s), momenta adamw ${moMs.toFixed(1)} (${(PARAMS / moMs / 1e3).toFixed(1)}) — momenta ${(tfMs / moMs).toFixed(2)}× tf.train's speed (per round: ${perRound}); tensors after − before: tf.train ${r.tensorGrowth.tfTrain}, momenta ${r.tensorGrowth.momenta}`,
    );
  }
  const problems: string[] = [];
  const page = watch(await site.context.newPage(), problems);
  page.on("console", (m) => {
    if (m.type() === "warning" && /WGSL|Invalid/.test(m.text())) problems.push(`webgpu: ${m.text()}`);
  });
  await page.goto(site.base);
  console.error(`standalone webgpu: ${rounds} rounds of ${steps} steps …`);
  try {
    const r: StandaloneResult = await page.evaluate((spec) => window.__gpuBench.standalone(spec), {
      steps,
      rounds,
    });
    const ms = median(r.ms);
    if (problems.length) throw new Error(`the page reported ${problems.join("; ")}`);
    standalone = PARAMS / ms / 1e3;
    console.log(
      `standalone webgpu (${r.device}; momenta-optim/webgpu, no TF.js), ${PARAMS} params, adamw ${ms.toFixed(1)} ms/step (median of ${rounds}) — ${standalone.toFixed(1)} M params/s (per round: ${r.ms.map((x) => x.toFixed(1)).join(" ")} ms)`,
    );
  } catch (e) {
    console.log(`standalone webgpu: not measured (${(e as Error).message.split("\n")[0]})`);
  }
  await page.close();
} finally {
  await site.close();
}
console.log(
  JSON.stringify({
    webgpuVsTfTrain: ratios.webgpu ?? null,
    webglVsTfTrain: ratios.webgl ?? null,
    standaloneMparamsPerS: standalone,
  }),
);
