/**
 * The page test/web/webgpu-standalone.test.ts drives: momenta-optim/webgpu on the browser's own
 * WebGPU device (Chromium's SwiftShader adapter), no TF.js. Params and gradients are GPUBuffers the
 * page fills; everything is read back asynchronously (mapAsync).
 */
import * as m from "momenta-optim";
import { type WebGpuOptimizer, webgpuOptimizer } from "momenta-optim/webgpu";
import {
  type Attempt,
  type BadInputs,
  type Growth,
  gradsAt,
  NAMES,
  type Packed,
  RECIPES,
  type Refusals,
  ROUND_TRIP_AT,
  type RoundTrip,
  type RunResult,
  SHAPES,
  type Snapshot,
  STEPS,
  type StandaloneHook,
  type StepRecord,
  sizeOf,
  startValues,
} from "./protocol.ts";

declare global {
  interface Window {
    __standalone: StandaloneHook;
  }
}

let device: GPUDevice | undefined;
async function gpu(): Promise<GPUDevice> {
  if (device) return device;
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter (is Chromium started with --enable-unsafe-webgpu?)");
  device = await adapter.requestDevice();
  device.addEventListener("uncapturederror", (e) => {
    console.error(`webgpu uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return device;
}

const PARAM_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer holding these float32 values. */
function bufferOf(d: GPUDevice, values: number[], usage = PARAM_USAGE): GPUBuffer {
  const b = d.createBuffer({ size: 4 * values.length, usage });
  d.queue.writeBuffer(b, 0, Float32Array.from(values));
  return b;
}

/** The values of float32 buffers, by one copy and one mapAsync. */
async function read(d: GPUDevice, buffers: Record<string, GPUBuffer>): Promise<Record<string, number[]>> {
  const total = NAMES.reduce((a, n) => a + 4 * sizeOf(n), 0);
  const staging = d.createBuffer({ size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = d.createCommandEncoder();
  let at = 0;
  for (const n of NAMES) {
    encoder.copyBufferToBuffer(buffers[n]!, 0, staging, at, 4 * sizeOf(n));
    at += 4 * sizeOf(n);
  }
  d.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const all = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  at = 0;
  const out: Record<string, number[]> = {};
  for (const n of NAMES) {
    out[n] = Array.from(all.subarray(at, at + sizeOf(n)));
    at += sizeOf(n);
  }
  return out;
}

/** Params and gradient buffers from these values, and an optimizer on them. */
function setUp(d: GPUDevice, recipe: string, values: Record<string, number[]>) {
  const params = Object.fromEntries(NAMES.map((n) => [n, bufferOf(d, values[n]!)]));
  const grads = Object.fromEntries(NAMES.map((n) => [n, bufferOf(d, new Array(sizeOf(n)).fill(0))]));
  const opt = webgpuOptimizer(RECIPES[recipe]!(), {
    device: d,
    params: Object.fromEntries(NAMES.map((n) => [n, { buffer: params[n]!, shape: SHAPES[n]! }])),
  });
  const step = (t: number) => {
    const g = gradsAt(t);
    for (const n of NAMES) d.queue.writeBuffer(grads[n]!, 0, Float32Array.from(g[n]!));
    opt.step(grads);
  };
  const snapshot = async (): Promise<Snapshot> => {
    const [p, state] = await Promise.all([read(d, params), opt.stateDict()]);
    return { params: p, state };
  };
  const destroy = () => {
    opt.dispose();
    for (const b of [...Object.values(params), ...Object.values(grads)]) b.destroy();
  };
  return { params, grads, opt, step, snapshot, destroy };
}

async function run(recipe: string): Promise<RunResult> {
  const d = await gpu();
  const s = setUp(d, recipe, startValues());
  const initial = await s.opt.stateDict();
  const steps: StepRecord[] = [];
  for (let t = 0; t < STEPS; t++) {
    const before = await s.snapshot();
    s.step(t);
    const after = await s.snapshot();
    steps.push({ before, after });
  }
  s.destroy();
  return { steps, initial };
}

async function roundTrip(recipe: string): Promise<RoundTrip> {
  const d = await gpu();
  const a = setUp(d, recipe, startValues());
  for (let t = 0; t < ROUND_TRIP_AT; t++) a.step(t);
  const saved = await a.snapshot();
  // a step submitted while the save is pending is not in it
  const pending = a.opt.stateDict();
  a.step(ROUND_TRIP_AT);
  const b = setUp(d, recipe, saved.params);
  b.opt.loadStateDict(await pending);
  b.step(ROUND_TRIP_AT);
  for (let t = ROUND_TRIP_AT + 1; t < 2 * ROUND_TRIP_AT; t++) {
    a.step(t);
    b.step(t);
  }
  const result = {
    original: await a.snapshot(),
    resumed: await b.snapshot(),
    resumedStepCount: b.opt.stepCount,
  };
  a.destroy();
  b.destroy();
  return result;
}

async function fromCore(recipe: string, json: string, t: number): Promise<Snapshot> {
  const d = await gpu();
  const saved = JSON.parse(json) as Snapshot;
  const s = setUp(d, recipe, saved.params);
  s.opt.loadStateDict(saved.state);
  s.step(t);
  const after = await s.snapshot();
  s.destroy();
  return after;
}

const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

async function badInputs(): Promise<BadInputs> {
  const d = await gpu();
  // lr out of range while `poison` is set
  let poison = false;
  const tx = () =>
    m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: () => (poison ? -1 : 0.01), weightDecay: 0.1 }));
  const values = startValues();
  const params = Object.fromEntries(NAMES.map((n) => [n, bufferOf(d, values[n]!)]));
  const grads = Object.fromEntries(NAMES.map((n) => [n, bufferOf(d, new Array(sizeOf(n)).fill(0))]));
  const opt = webgpuOptimizer(tx(), {
    device: d,
    params: Object.fromEntries(NAMES.map((n) => [n, { buffer: params[n]!, shape: SHAPES[n]! }])),
  });
  const step = (t: number) => {
    const g = gradsAt(t);
    for (const n of NAMES) d.queue.writeBuffer(grads[n]!, 0, Float32Array.from(g[n]!));
    opt.step(grads);
  };
  for (let t = 0; t < 4; t++) step(t);
  const snapshot = async () => JSON.stringify([await read(d, params), await opt.stateDict(), opt.stepCount]);
  const before = await snapshot();
  // gradients for the next step, written before the attempts: a step that ran would change the params
  const g = gradsAt(4);
  for (const n of NAMES) d.queue.writeBuffer(grads[n]!, 0, Float32Array.from(g[n]!));
  const small = d.createBuffer({ size: 4 * 10, usage: PARAM_USAGE });
  const noStorage = d.createBuffer({ size: 4 * sizeOf("a/w"), usage: GPUBufferUsage.COPY_DST });
  const good = await opt.stateDict();
  const tries: [string, () => unknown][] = [
    ["a gradient buffer too small", () => opt.step({ ...grads, "big/w": small })],
    ["a missing gradient", () => opt.step({ ...grads, "a/k": undefined as unknown as GPUBuffer })],
    ["a gradient for a param it does not train", () => opt.step({ ...grads, "a/x": small })],
    ["a gradient without STORAGE usage", () => opt.step({ ...grads, "a/w": noStorage })],
    ["a gradient that is its param's buffer", () => opt.step({ ...grads, "a/w": params["a/w"]! })],
    ["a gradient that is not a buffer", () => opt.step({ ...grads, "a/w": new Float32Array(30) as never })],
    ["no gradients", () => opt.step(null as never)],
    ["a state dict of another format", () => opt.loadStateDict({ ...good, format: "torch" })],
    ["a state dict for other params", () => opt.loadStateDict({ ...good, paths: ["a/b", "a/k"] })],
    ["a state dict with a negative step", () => opt.loadStateDict({ ...good, step: -1 })],
    ["a state dict with a state of another layout", () => opt.loadStateDict({ ...good, state: [{}, {}] })],
    ["not a state dict", () => opt.loadStateDict("state")],
    [
      "a schedule's value out of range (lr −1)",
      () => {
        poison = true;
        try {
          step(4);
        } finally {
          poison = false;
        }
      },
    ],
  ];
  const attempts: Attempt[] = [];
  for (const [what, f] of tries) {
    let error: string | undefined;
    try {
      f();
    } catch (e) {
      error = message(e);
    }
    attempts.push({ what, error, unchanged: (await snapshot()) === before });
  }
  const stepCountAfter = opt.stepCount;
  // and a good step still runs
  step(4);
  const stepCountAfterGoodStep = opt.stepCount;
  opt.dispose();
  for (const b of [...Object.values(params), ...Object.values(grads), small, noStorage]) b.destroy();
  return { attempts, stepCountAfter, stepCountAfterGoodStep };
}

async function growth(recipe: string): Promise<Growth> {
  const d = await gpu();
  const counts = { buffers: 0, bindGroups: 0, pipelines: 0, destroyed: 0 };
  const made = new Set<GPUBuffer>();
  const { createBuffer, createBindGroup, createComputePipeline } = d;
  d.createBuffer = (desc) => {
    counts.buffers++;
    const b = createBuffer.call(d, desc);
    made.add(b);
    const destroy = b.destroy;
    b.destroy = () => {
      counts.destroyed++;
      destroy.call(b);
    };
    return b;
  };
  d.createBindGroup = (desc) => {
    counts.bindGroups++;
    return createBindGroup.call(d, desc);
  };
  d.createComputePipeline = (desc) => {
    counts.pipelines++;
    return createComputePipeline.call(d, desc);
  };
  let result: Growth;
  try {
    const s = setUp(d, recipe, startValues());
    const ownBuffers = counts.buffers - 2 * NAMES.length; // the page's params and gradients
    for (let t = 0; t < 3; t++) s.step(t);
    await d.queue.onSubmittedWorkDone();
    const at = { ...counts };
    for (let t = 3; t < 23; t++) s.step(t);
    await d.queue.onSubmittedWorkDone();
    result = {
      buffers: counts.buffers - at.buffers,
      bindGroups: counts.bindGroups - at.bindGroups,
      pipelines: counts.pipelines - at.pipelines,
      created: ownBuffers,
      destroyed: 0,
    };
    const destroyedBefore = counts.destroyed;
    s.opt.dispose();
    result.destroyed = counts.destroyed - destroyedBefore;
    for (const b of [...Object.values(s.params), ...Object.values(s.grads)]) b.destroy();
  } finally {
    d.createBuffer = createBuffer;
    d.createBindGroup = createBindGroup;
    d.createComputePipeline = createComputePipeline;
  }
  return result;
}

async function refusals(): Promise<Refusals> {
  const d = await gpu();
  const w = bufferOf(d, new Array(30).fill(0));
  const params = { w: { buffer: w, shape: [6, 5] } };
  const out: Refusals = {};
  const attempt = (what: string, f: () => unknown) => {
    try {
      f();
      out[what] = "(no error)";
    } catch (e) {
      out[what] = message(e);
    }
  };
  attempt("clip with errorIfNonfinite", () =>
    webgpuOptimizer(m.chain(m.clipByGlobalNorm(1, { errorIfNonfinite: true }), m.adamw()), {
      device: d,
      params,
    }),
  );
  attempt("clipByValue → adamw", () =>
    webgpuOptimizer(m.chain(m.clipByValue(1), m.adamw()), { device: d, params }),
  );
  attempt("adafactor", () => webgpuOptimizer(m.adafactor(), { device: d, params }));
  attempt("adamw, bfloat16 state", () =>
    webgpuOptimizer(m.adamw({ stateDtype: "bfloat16" }), { device: d, params }),
  );
  attempt("a shape the buffer is too small for", () =>
    webgpuOptimizer(m.adamw(), { device: d, params: { w: { buffer: w, shape: [6, 6] } } }),
  );
  attempt("a param offset not aligned", () =>
    webgpuOptimizer(m.adamw(), { device: d, params: { w: { buffer: w, shape: [2], offset: 4 } } }),
  );
  attempt("no device", () => webgpuOptimizer(m.adamw(), { device: undefined as never, params }));
  attempt("a param given as a bare buffer", () =>
    webgpuOptimizer(m.adamw(), { device: d, params: { w, v: { buffer: w, shape: [2] } } as never }),
  );
  attempt("overlapping params", () =>
    webgpuOptimizer(m.adamw(), {
      device: d,
      params: { a: { buffer: w, shape: [6, 5] }, b: { buffer: w, shape: [2] } },
    }),
  );
  const opt: WebGpuOptimizer = webgpuOptimizer(m.adamw(), { device: d, params });
  opt.dispose();
  attempt("a step after dispose", () => opt.step({ w }));
  w.destroy();
  return out;
}

async function packed(recipe: string, steps: number): Promise<Packed> {
  const d = await gpu();
  const values = startValues();
  const align = d.limits.minStorageBufferOffsetAlignment;
  const offsets: number[] = [];
  let end = align; // the first leaf not at 0 either
  for (const n of NAMES) {
    offsets.push(end);
    end = Math.ceil((end + 4 * sizeOf(n)) / align) * align;
  }
  const whole = (name: string) => {
    const all = new Float32Array(end / 4);
    NAMES.forEach((n, i) => {
      if (name === "params") all.set(values[n]!, offsets[i]! / 4);
    });
    return bufferOf(d, Array.from(all));
  };
  const params = whole("params");
  const grads = whole("grads");
  const opt = webgpuOptimizer(RECIPES[recipe]!(), {
    device: d,
    params: Object.fromEntries(
      NAMES.map((n, i) => [n, { buffer: params, shape: SHAPES[n]!, offset: offsets[i]! }]),
    ),
  });
  const separate = setUp(d, recipe, values);
  for (let t = 0; t < steps; t++) {
    const g = gradsAt(t);
    NAMES.forEach((n, i) => {
      d.queue.writeBuffer(grads, offsets[i]!, Float32Array.from(g[n]!));
    });
    opt.step(Object.fromEntries(NAMES.map((n, i) => [n, { buffer: grads, offset: offsets[i]! }])));
    separate.step(t);
  }
  // the packed params, read back leaf by leaf into buffers of their own
  const copies = Object.fromEntries(NAMES.map((n) => [n, bufferOf(d, new Array(sizeOf(n)).fill(0))]));
  const encoder = d.createCommandEncoder();
  NAMES.forEach((n, i) => {
    encoder.copyBufferToBuffer(params, offsets[i]!, copies[n]!, 0, 4 * sizeOf(n));
  });
  d.queue.submit([encoder.finish()]);
  const result = {
    packed: { params: await read(d, copies), state: await opt.stateDict() },
    separate: await separate.snapshot(),
    offsets,
  };
  opt.dispose();
  separate.destroy();
  for (const b of [params, grads, ...Object.values(copies)]) b.destroy();
  return result;
}

window.__standalone = { run, roundTrip, fromCore, badInputs, growth, refusals, packed };
