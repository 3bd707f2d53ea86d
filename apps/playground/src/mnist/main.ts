/**
 * The MNIST page: an MLP learns the digits in the browser, every update made by momenta's
 * `tfjsOptimizer` on the GPU (AdamW with warmup-cosine and global-norm clipping; on webgpu its own
 * WGSL programs). Wires the asset, the backend, the Start button, the progress and the loss curve,
 * and exposes `window.__mnist` (protocol.ts) for the test and the curious.
 */
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import * as tf from "@tensorflow/tfjs-core";
import { fill, h } from "../dom.ts";
import { loadDigitAsset } from "./asset.ts";
import { chooseBackend, type GpuBackend } from "./backend.ts";
import type { DigitSplit } from "./digits.ts";
import { createLossCurve } from "./loss-curve.ts";
import type { MnistHook, MnistRun, MnistStatus, OpsKernel, StepRecord } from "./protocol.ts";
import { RECIPE, recipeCode, totalSteps } from "./recipe.ts";
import { train } from "./train.ts";

declare global {
  interface Window {
    __mnist: MnistHook;
  }
}

let status: MnistStatus = "loading";
let data: DigitSplit | undefined;
let backend: GpuBackend | undefined;
/** The backend the address asks for (`?backend=webgl`), if any. */
const param = new URLSearchParams(location.search).get("backend");
const asked: GpuBackend | undefined = param === "webgpu" || param === "webgl" ? param : undefined;
let record = new Set<number>();
let last: { run: MnistRun; records: StepRecord[] } | undefined;

const notice = h("p", { id: "notice", role: "alert", class: "notice" });
const backendLine = h("p", { id: "backend", class: "muted" }, "Starting TF.js…");
const start = h("button", { id: "start", type: "button", disabled: true }, "Start training");
const progress = h("progress", { id: "progress", max: 1, value: 0, "aria-labelledby": "progress-label" });
const progressLabel = h("span", { id: "progress-label" }, "Loading the digits…");
const curve = createLossCurve();
const code = h("pre", { class: "code", id: "recipe" });
const epochs = h("tbody", {});

function setStatus(s: MnistStatus, label?: string): void {
  status = s;
  document.body.dataset.status = s;
  if (label !== undefined) progressLabel.textContent = label;
}

/** The backend, and once a step has run, what ran it. */
function describeKernel(kernel: OpsKernel): string {
  const name =
    backend === "webgl" && !asked ? "webgl (no WebGPU in this browser)" : (backend ?? "no backend");
  if (kernel === "webgpu") return `${name}: each update runs momenta's own WGSL programs`;
  if (kernel === "webgl") return `${name}: each update runs momenta's own WebGL programs`;
  if (kernel === "ops") return `${name}: the updates run as TF.js ops`;
  return name;
}

async function run(): Promise<void> {
  if (!data || status === "training") return;
  const steps = totalSteps(data.train.size);
  const losses: number[] = [];
  const accuracies: number[] = [];
  start.disabled = true;
  notice.textContent = "";
  fill(epochs);
  curve.reset(steps);
  progress.max = steps;
  progress.value = 0;
  setStatus("training", `Epoch 1 of ${RECIPE.epochs} · update 0 of ${steps}`);
  const t0 = performance.now();
  const tensors = tf.memory().numTensors;
  try {
    const r = await train(data, {
      record,
      onStep({ epoch, step, loss, kernel }) {
        losses.push(loss);
        progress.value = step;
        const held = accuracies.length ? ` · held-out ${(100 * accuracies.at(-1)!).toFixed(1)} %` : "";
        progressLabel.textContent = `Epoch ${epoch + 1} of ${RECIPE.epochs} · update ${step} of ${steps}${held}`;
        curve.draw(losses, accuracies);
        if (step === 1) backendLine.textContent = `Backend: ${describeKernel(kernel)}`;
      },
      onEpoch(epoch, accuracy) {
        accuracies.push(accuracy);
        epochs.append(h("tr", {}, h("td", {}, epoch), h("td", {}, `${(100 * accuracy).toFixed(1)} %`)));
        curve.draw(losses, accuracies);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    backendLine.textContent = `Backend: ${describeKernel(r.opsKernel)}`;
    last = {
      run: {
        backend: backend!,
        path: r.path,
        opsKernel: r.opsKernel,
        steps: r.steps,
        epochs: RECIPE.epochs,
        trainSize: data.train.size,
        testSize: data.test.size,
        losses: r.losses,
        accuracies: r.accuracies,
        seconds,
        shapes: r.shapes,
        recorded: r.records.length,
        leaked: tf.memory().numTensors - tensors,
      },
      records: r.records,
    };
    const final = (100 * r.accuracies.at(-1)!).toFixed(1);
    setStatus(
      "done",
      `Done: ${final} % of the ${data.test.size} held-out digits right · ${seconds.toFixed(1)} s`,
    );
  } catch (e) {
    notice.textContent = `Training stopped: ${(e as Error).message}`;
    setStatus("error", "Training stopped.");
    console.error(e);
  } finally {
    start.disabled = false;
    start.textContent = "Train again";
  }
}

start.addEventListener("click", () => void run());

window.__mnist = {
  status: () => status,
  record(steps) {
    record = new Set(steps);
  },
  result: () => last?.run,
  stepRecord(i) {
    const r = last?.records[i];
    if (!r)
      throw new RangeError(`no recorded step ${i} (the last run recorded ${last?.records.length ?? 0})`);
    return r;
  },
};

fill(
  document.getElementById("app")!,
  h(
    "header",
    {},
    h("h1", {}, "MNIST on the GPU"),
    h("p", { class: "muted" }, "An MLP learns handwritten digits in your browser, optimized by momenta."),
    h("a", { href: "./index.html" }, "← The optimizer race"),
  ),
  notice,
  h(
    "main",
    { class: "mnist" },
    h(
      "section",
      { "aria-label": "Training" },
      h(
        "p",
        { class: "caption" },
        `A 784 → ${RECIPE.hidden} → 10 network (ReLU, softmax cross-entropy) trains on a few thousand MNIST digits ` +
          `(batches of ${RECIPE.batch}, ${RECIPE.epochs} epochs, seeded) and is scored on digits it never sees. ` +
          "TF.js computes the gradients; every update is momenta's tfjsOptimizer, on the GPU.",
      ),
      backendLine,
      h("div", { class: "playback" }, start, progress, progressLabel),
      curve.element,
    ),
    h(
      "section",
      { "aria-label": "Optimizer and results" },
      h("h2", {}, "The optimizer"),
      code,
      h("h2", {}, "Held-out accuracy"),
      h(
        "table",
        { class: "internals", id: "epochs" },
        h("thead", {}, h("tr", {}, h("th", {}, "Epoch"), h("th", {}, "Accuracy"))),
        epochs,
      ),
    ),
  ),
);

try {
  [backend, data] = await Promise.all([chooseBackend(asked), loadDigitAsset()]);
  const steps = totalSteps(data.train.size);
  code.textContent = recipeCode(steps);
  curve.reset(steps);
  backendLine.textContent = `Backend: ${describeKernel(undefined)}`;
  start.disabled = false;
  setStatus(
    "ready",
    `${data.train.size.toLocaleString("en")} training digits, ${data.test.size.toLocaleString("en")} held out: press Start.`,
  );
} catch (e) {
  notice.textContent = `The page cannot train here: ${(e as Error).message}`;
  setStatus("error", "Not available.");
}
