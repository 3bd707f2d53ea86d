/**
 * The standalone WebGPU path (`momenta-optim/webgpu`): a fusible chain (an optimizer alias momenta
 * fuses, optionally after `clipByGlobalNorm`) stepping params that live in the caller's `GPUBuffer`s,
 * with no TF.js. The state buffers are `GPUBuffer`s the optimizer owns; a step validates the
 * gradients and evaluates the step's scalars on the host (schedules, bias corrections: the chain's own
 * state objects, as the fused kernels and the TF.js ops path read them), then encodes ONE compute pass
 * — the clip's norm as a reduction when clipping, then per leaf one dispatch that rewrites every state
 * buffer and the param in place (`programs.ts`, from the kind's `gpu` expressions; for LAMB the
 * update goes to a buffer, and the leaf's trust ratio is reduced and applied in four more dispatches)
 * — and submits it. Nothing is read back per step.
 *
 * The host keeps a momenta handle (`createOptimizer(…, { kernel: "reference" })`) that never steps:
 * its counts advance with the steps, and its layout is the state dict's, so the state dict is the
 * library's own — the same as `createOptimizer(tx, params).stateDict()` for the same chain and leaves.
 * Reading it needs the GPU's buffers, so `stateDict()` is asynchronous (a copy to mappable buffers).
 */
import {
  createOptimizer,
  type LoadReport,
  type LoadStateDictOptions,
  type OptimizerHandle,
  type StateDict,
} from "../create-optimizer.js";
import { checkOptions, showValue } from "../hyper.js";
import { kindOf } from "../kernels/kinds/index.js";
import { type GpuKernel, isUnsupported, type Scalars } from "../kernels/kinds/kind.js";
import { fusibleParts, type Plan, plan, resolveStep } from "../kernels/plan.js";
import type { FusionSpec } from "../optimizers/fusion.js";
import type { AnyTransformation } from "../transform.js";
import { resolveMask, type ShapedLeaf } from "../tree.js";
import {
  applyRatioShader,
  BIND,
  finalNormShader,
  NORM_CHUNK,
  partialNormShader,
  ratioShader,
  UPDATE_WORKGROUP,
  updateShader,
} from "./programs.js";
import {
  type BindGroupLayout,
  type Buffer,
  type BufferBinding,
  COMPUTE,
  type ComputePass,
  type ComputePipeline,
  type Device,
  MAP_READ,
  type Opaque,
  USAGE,
  type WebGpuBuffer,
  type WebGpuDevice,
} from "./types.js";

/** One param: a float32 tensor of `shape` in `buffer` (STORAGE usage), from byte `offset` (default 0). */
export interface WebGpuParam {
  /** The buffer holding the param's float32 values, updated in place by each step. */
  readonly buffer: WebGpuBuffer;
  /** The param's shape (its size is the product; at least one element). */
  readonly shape: readonly number[];
  /** Where the values start, in bytes (a multiple of the device's `minStorageBufferOffsetAlignment`). Default 0. */
  readonly offset?: number;
}

/** A gradient at an offset into a buffer. */
export interface WebGpuGradRegion {
  /** The buffer holding the gradient's float32 values (STORAGE usage). */
  readonly buffer: WebGpuBuffer;
  /** Where the values start, in bytes (a multiple of the device's `minStorageBufferOffsetAlignment`). Default 0. */
  readonly offset?: number;
}

/** One gradient: a `GPUBuffer` holding it from byte 0, or `{ buffer, offset }`; float32, the param's size. */
export type WebGpuGrad = WebGpuBuffer | WebGpuGradRegion;

/** Options of `webgpuOptimizer`. */
export interface WebGpuOptimizerOptions {
  /** The device the params live on (the optimizer's own buffers and pipelines are created on it). */
  device: WebGpuDevice;
  /** The params by name (the state dict's paths are the names, sorted, as for a record of leaves). */
  params: Readonly<Record<string, WebGpuParam>>;
}

/** An optimizer stepping params held in `GPUBuffer`s (see `webgpuOptimizer`). */
export interface WebGpuOptimizer {
  /** Updates applied so far. */
  readonly stepCount: number;
  /** The params' names in the order the state dict lists them (sorted). */
  readonly paths: readonly string[];
  /**
   * One update from `grads` (a gradient per param name, each float32 of its param's size, in a buffer
   * with STORAGE usage): encodes one compute pass and submits it to the device's queue, and returns —
   * the GPU runs it after (`device.queue.onSubmittedWorkDone()` tells when). All or nothing: the
   * gradients are checked and the step's scalars evaluated (a schedule's value out of range throws)
   * before anything is encoded, so a step that throws changes nothing.
   */
  step(grads: Readonly<Record<string, WebGpuGrad>>): void;
  /**
   * The state dict (the library's format: `createOptimizer(…).stateDict()`'s for the same chain and
   * params) as of the steps submitted before the call. Asynchronous: the state is copied from the GPU
   * into mappable buffers and read back. Steps may be submitted while it is pending.
   */
  stateDict(): Promise<StateDict>;
  /**
   * Restores a state dict (this path's, or any momenta optimizer's for the same chain and param
   * names and sizes), checked as `createOptimizer`'s `loadStateDict` checks it: on any problem it
   * throws and changes nothing. The state buffers are written through the device's queue (after the
   * steps submitted before, before those submitted after).
   */
  loadStateDict(dict: unknown, options?: LoadStateDictOptions): LoadReport;
  /**
   * Destroys the buffers the optimizer created (its state, uniforms, the norm's). The params stay the
   * caller's. Afterwards every method throws; calling `dispose` again does nothing.
   */
  dispose(): void;
}

const OWNER = "webgpuOptimizer";
/** Byte stride of the per-leaf uniforms (the minimum uniform offset alignment WebGPU allows devices). */
const UNIFORM_STRIDE = 256;
/** Workgroups one dispatch dimension may count on every device (maxComputeWorkgroupsPerDimension). */
const MAX_GROUPS = 65535;

/**
 * A kind's GPU element math as this path reads it (`GpuKernel` in `kernels/kinds/kind.ts`): the
 * uniforms, each buffer's new value, and the update's direction (scaled by the trust ratio when
 * `trustRatio`), or the param's new value itself (`value`).
 */
interface ElementMath {
  readonly uniforms: GpuKernel<Scalars>["uniforms"];
  buffers(s: Scalars): Readonly<Record<string, string>>;
  readonly direction?: (s: Scalars) => string;
  readonly value?: (s: Scalars) => string;
  readonly trustRatio?: true;
}

/** Why this path cannot run a chain, or undefined when it can. */
function unfusible(tx: AnyTransformation): string | undefined {
  const parts = fusibleParts(tx);
  if (typeof parts === "string") return parts;
  const spec = parts.alias.fusion as FusionSpec;
  if (spec.stateDtype !== undefined && spec.stateDtype !== "float32")
    return `${spec.owner} keeps its moments as ${spec.stateDtype} (stateDtype), and this path keeps them as float32 buffers`;
  const gpu = kindOf(spec.kind).gpu;
  if (isUnsupported(gpu)) return `${spec.owner} has no WebGPU program: ${gpu.unsupported}`;
  const form = gpu as unknown as ElementMath;
  if (typeof form.direction !== "function" && typeof form.value !== "function")
    return `${spec.owner}'s GPU program gives neither a direction nor the param's new value`;
  if (parts.clip?.strict)
    return "clipByGlobalNorm with errorIfNonfinite must read the norm back before the step writes anything, and this path reads nothing back per step: clip without errorIfNonfinite (a non-finite norm then gives a zero clip factor or NaN, as in PyTorch), or check the gradients yourself";
  return undefined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function isBuffer(x: unknown): x is WebGpuBuffer {
  return isRecord(x) && typeof x.size === "number" && typeof x.usage === "number";
}

/** One leaf as the optimizer runs it. */
interface Leaf {
  name: string;
  /** Elements. */
  n: number;
  vec4: boolean;
  buffer: WebGpuBuffer;
  offset: number;
  /** Its state buffers, in the kind's order. */
  state: Buffer[];
  /** Decay applies to it (the spec's mask). */
  decayed: boolean;
  /** Bind groups by gradient buffer and offset. */
  groups: WeakMap<WebGpuBuffer, Map<number, Opaque>>;
  normGroups: WeakMap<WebGpuBuffer, Map<number, Opaque>>;
  /** Workgroups of its update: x, y. */
  dispatch: [number, number];
  /** Workgroups of its partial norm. */
  normGroupsCount: number;
}

/** The region a leaf or gradient occupies, for the overlap checks. */
interface Region {
  buffer: WebGpuBuffer;
  from: number;
  to: number;
  what: string;
}

const overlaps = (a: Region, b: Region) => a.buffer === b.buffer && a.from < b.to && b.from < a.to;

/**
 * An optimizer for params held in `GPUBuffer`s, from the same transforms as `createOptimizer`: an
 * optimizer alias momenta fuses (`adamw`, `adam`, `sgd`, `rmsprop`, `lion`, `adagrad`, `nadam`, `radam`,
 * `adamax`, `adadelta`, `lamb`, `scheduleFreeAdamw`: any options, schedules, masks, maximize, L2 or
 * decoupled decay), optionally after `clipByGlobalNorm` (computed on the GPU, in the same pass). Any
 * other chain throws a TypeError saying why (`errorIfNonfinite` clipping needs a read-back; compact
 * state is not run here). The optimizer allocates its buffers, pipelines and bind groups once: a step
 * writes its scalars with `queue.writeBuffer` and submits one command buffer.
 */
export function webgpuOptimizer(tx: AnyTransformation, options: WebGpuOptimizerOptions): WebGpuOptimizer {
  if (
    tx === null ||
    typeof tx !== "object" ||
    typeof tx.init !== "function" ||
    typeof tx.update !== "function"
  ) {
    throw new TypeError(
      `${OWNER}: expected a gradient transformation (adamw(), chain(…)…), got ${showValue(tx)}`,
    );
  }
  if (!isRecord(options))
    throw new TypeError(`${OWNER}: options must be { device, params }, got ${showValue(options)}`);
  checkOptions(OWNER, options, ["device", "params"]);
  const device = options.device as unknown as Device;
  if (
    !isRecord(device) ||
    typeof device.createBuffer !== "function" ||
    typeof device.createComputePipeline !== "function" ||
    !isRecord(device.queue) ||
    !isRecord(device.limits)
  ) {
    throw new TypeError(`${OWNER}: device must be a GPUDevice, got ${showValue(options.device)}`);
  }
  const why = unfusible(tx);
  if (why !== undefined) throw new TypeError(`${OWNER}: this path cannot run this chain: ${why}`);

  // ---- The params, checked.
  const given = options.params;
  if (!isRecord(given))
    throw new TypeError(`${OWNER}: params must be a record of { buffer, shape }, got ${showValue(given)}`);
  const names = Object.keys(given).sort();
  if (names.length === 0) throw new TypeError(`${OWNER}: params is empty: nothing to train`);
  const { limits } = device;
  const align = limits.minStorageBufferOffsetAlignment;
  const regions: Region[] = [];
  const hostParams: Record<string, ShapedLeaf> = {};
  const shaped = names.map((name) => {
    const p = given[name];
    const at = `param '${name}'`;
    if (!isRecord(p) || !isBuffer(p.buffer))
      throw new TypeError(`${OWNER}: ${at} must be { buffer: GPUBuffer, shape }, got ${showValue(p)}`);
    const shape = p.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new TypeError(
        `${OWNER}: ${at}: shape must be an array of whole numbers ≥ 0, got ${showValue(shape)}`,
      );
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    if (n === 0) throw new RangeError(`${OWNER}: ${at} has shape [${shape.join(", ")}], no element to train`);
    const offset = p.offset ?? 0;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0 || offset % align !== 0)
      throw new RangeError(
        `${OWNER}: ${at}: offset must be a whole number of bytes ≥ 0, a multiple of the device's minStorageBufferOffsetAlignment (${align}), got ${showValue(offset)}`,
      );
    checkRegion(at, p.buffer, offset, n, limits.maxStorageBufferBindingSize);
    const region = { buffer: p.buffer, from: offset, to: offset + 4 * n, what: at };
    const clash = regions.find((r) => overlaps(r, region));
    if (clash) throw new RangeError(`${OWNER}: ${at} overlaps ${clash.what} in the same buffer`);
    regions.push(region);
    hostParams[name] = { data: new Float32Array(n), shape: [...(shape as number[])] };
    return { name, n, buffer: p.buffer, offset };
  });

  // ---- The host state: a handle that never steps; its counts advance with the GPU's steps.
  const handle: OptimizerHandle<unknown> = createOptimizer(tx, hostParams, { kernel: "reference" });
  const planned = plan(tx, handle.state);
  if (typeof planned === "string") {
    handle.dispose();
    throw new TypeError(`${OWNER}: this path cannot run this chain: ${planned}`);
  }
  const p: Plan = planned;
  const gpu = p.kind.gpu as unknown as ElementMath; // checked by unfusible
  /** LAMB: the update is scaled per leaf by ‖p‖/‖update‖, reduced on the GPU between the dispatches. */
  const trust = gpu.trustRatio === true && typeof gpu.direction === "function";
  const s = p.kind.scalars();
  s.negate = p.spec.maximize;
  /** The step's scalars as a leaf the mask turns decay off for sees them (its wd 0). */
  const masked = p.kind.scalars();
  const decayed = resolveMask(p.spec.mask, hostParams);
  const bound = Object.keys(p.kind.buffers).filter((name) => p.buffers[name] !== undefined);
  const clip = p.clip;
  const storage = 2 + bound.length + (clip ? 1 : 0) + (trust ? 1 : 0);
  if (storage > limits.maxStorageBuffersPerShaderStage)
    throw new RangeError(
      `${OWNER}: ${p.spec.owner}'s update binds ${storage} storage buffers, and this device allows ${limits.maxStorageBuffersPerShaderStage} a shader`,
    );

  const created: Buffer[] = [];
  const make = (label: string, size: number, usage: number): Buffer => {
    const b = device.createBuffer({ label: `momenta ${label}`, size, usage });
    created.push(b);
    return b;
  };
  const stateUsage = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
  let partialCount = 0;
  const leaves: Leaf[] = shaped.map((l, i) => {
    const normGroupsCount = Math.ceil(l.n / NORM_CHUNK);
    partialCount += normGroupsCount;
    const vec4 = l.n % 4 === 0;
    const groups = Math.ceil((vec4 ? l.n / 4 : l.n) / UPDATE_WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS);
    return {
      ...l,
      vec4,
      state: bound.map((name) => make(`${l.name}/${name}`, 4 * l.n, stateUsage)),
      decayed: decayed[i]!,
      groups: new WeakMap(),
      normGroups: new WeakMap(),
      dispatch: [x, Math.ceil(groups / x)],
      normGroupsCount,
    };
  });
  const queue = device.queue;
  /** Writes the host state's buffers (and the clip's last norm) to the GPU. */
  const upload = () => {
    leaves.forEach((leaf, i) => {
      bound.forEach((name, k) => {
        queue.writeBuffer(leaf.state[k]!, 0, p.buffers[name]![i]! as Float32Array);
      });
    });
    if (clip) queue.writeBuffer(clipBuffer!, 0, new Float32Array([clip.state.totalNorm, 0, 0, 0]));
  };

  // ---- Uniforms: per leaf a 256-byte slot (the kind's scalars, l2, wd, −lr, size), written each step.
  const kindUniforms = gpu.uniforms.map((u) => u.name);
  const K = kindUniforms.length;
  const uniformHost = new ArrayBuffer(UNIFORM_STRIDE * leaves.length);
  const uniformF32 = new Float32Array(uniformHost);
  const uniformU32 = new Uint32Array(uniformHost);
  leaves.forEach((leaf, i) => {
    uniformU32[(UNIFORM_STRIDE / 4) * i + K + 3] = leaf.vec4 ? leaf.n / 4 : leaf.n;
  });
  const uniforms = make("uniforms", uniformHost.byteLength, USAGE.UNIFORM | USAGE.COPY_DST);

  // ---- The update's layout, shared by its pipelines (their text varies with the step's flags).
  const storageEntry = (binding: number, type: "storage" | "read-only-storage") => ({
    binding,
    visibility: COMPUTE,
    buffer: { type },
  });
  const updateLayout: BindGroupLayout = device.createBindGroupLayout({
    label: "momenta update",
    entries: [
      { binding: BIND.uniforms, visibility: COMPUTE, buffer: { type: "uniform" } },
      storageEntry(BIND.param, "storage"),
      storageEntry(BIND.grad, "read-only-storage"),
      ...bound.map((_, k) => storageEntry(BIND.firstBuffer + k, "storage")),
      ...(clip ? [storageEntry(BIND.firstBuffer + bound.length, "read-only-storage")] : []),
      ...(trust ? [storageEntry(BIND.firstBuffer + bound.length + (clip ? 1 : 0), "storage")] : []),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [updateLayout] });
  const pipelines = new Map<string, ComputePipeline>();
  const pipelineFor = (code: string): ComputePipeline => {
    let pipeline = pipelines.get(code);
    if (!pipeline) {
      const module = device.createShaderModule({ label: `momenta ${p.spec.kind}`, code });
      pipeline = device.createComputePipeline({
        label: `momenta ${p.spec.kind}`,
        layout: pipelineLayout,
        compute: { module, entryPoint: "main" },
      });
      pipelines.set(code, pipeline);
    }
    return pipeline;
  };
  /** A pipeline with its own layout ("auto"): the clip's norm and LAMB's trust ratio, made once. */
  const ownPipeline = (code: string, label: string) =>
    device.createComputePipeline({
      label: `momenta ${label}`,
      layout: "auto",
      compute: { module: device.createShaderModule({ label: `momenta ${label}`, code }), entryPoint: "main" },
    });

  // ---- The clip: partial sums per leaf, then one workgroup's reduce into [norm, factor].
  let clipBuffer: Buffer | undefined;
  let partials: Buffer | undefined;
  let normUniforms: Buffer | undefined;
  let partialPipeline: ComputePipeline | undefined;
  let finalPipeline: ComputePipeline | undefined;
  let finalGroup: Opaque | undefined;
  if (clip) {
    clipBuffer = make("clip", 16, stateUsage);
    partials = make("norm partials", 4 * partialCount, USAGE.STORAGE);
    normUniforms = make(
      "norm uniforms",
      UNIFORM_STRIDE * (leaves.length + 1),
      USAGE.UNIFORM | USAGE.COPY_DST,
    );
    const host = new ArrayBuffer(UNIFORM_STRIDE * (leaves.length + 1));
    const u32 = new Uint32Array(host);
    const f32 = new Float32Array(host);
    let base = 0;
    leaves.forEach((leaf, i) => {
      u32[(UNIFORM_STRIDE / 4) * i] = leaf.n;
      u32[(UNIFORM_STRIDE / 4) * i + 1] = base;
      base += leaf.normGroupsCount;
    });
    const last = (UNIFORM_STRIDE / 4) * leaves.length;
    u32[last] = partialCount;
    f32[last + 1] = clip.maxNorm;
    f32[last + 2] = p.spec.maximize ? -1 : 1;
    queue.writeBuffer(normUniforms, 0, f32);
    partialPipeline = ownPipeline(partialNormShader(clip.normType), "norm partials");
    finalPipeline = ownPipeline(finalNormShader(clip.normType), "norm");
    finalGroup = device.createBindGroup({
      label: "momenta norm",
      layout: finalPipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: normUniforms, offset: UNIFORM_STRIDE * leaves.length, size: 16 } },
        { binding: 1, resource: { buffer: partials } },
        { binding: 2, resource: { buffer: clipBuffer } },
      ],
    });
  }
  /**
   * LAMB's trust ratio: per leaf an update buffer (d + wd·p, written by the update shader), the sums
   * of squares of the param and of the update in partials (the norm's partial shader, 2-norm), one
   * workgroup's ratio, then p ← p + (x·ratio)·(−lr). Bind groups fixed: made here.
   */
  function trustRatio() {
    const updates = leaves.map((leaf) => make(`${leaf.name}/update`, 4 * leaf.n, USAGE.STORAGE));
    const ratios = make("trust ratios", UNIFORM_STRIDE * leaves.length, USAGE.STORAGE);
    const partialSums = make("trust ratio partials", 8 * partialCount, USAGE.STORAGE);
    const slots = 3; // per leaf: the param's partials, the update's, the ratio's
    const host = new ArrayBuffer(UNIFORM_STRIDE * slots * leaves.length);
    const u32 = new Uint32Array(host);
    const trustUniforms = make("trust ratio uniforms", host.byteLength, USAGE.UNIFORM | USAGE.COPY_DST);

    const partial = ownPipeline(partialNormShader(2), "trust ratio partials");
    const reduce = ownPipeline(ratioShader(), "trust ratio");
    const apply = [false, true].map((vec4) =>
      ownPipeline(applyRatioShader(kindUniforms, vec4), "trust ratio apply"),
    );
    let base = 0;
    const slot = (i: number, k: number) => (UNIFORM_STRIDE / 4) * (slots * i + k);
    const region = (i: number, k: number) => ({
      buffer: trustUniforms,
      offset: UNIFORM_STRIDE * (slots * i + k),
      size: 16,
    });
    const dispatches = leaves.map((leaf, i) => {
      const pBase = base;
      const xBase = base + leaf.normGroupsCount;
      base += 2 * leaf.normGroupsCount;
      u32[slot(i, 0)] = leaf.n;
      u32[slot(i, 0) + 1] = pBase;
      u32[slot(i, 1)] = leaf.n;
      u32[slot(i, 1) + 1] = xBase;
      u32[slot(i, 2)] = pBase;
      u32[slot(i, 2) + 1] = xBase;
      u32[slot(i, 2) + 2] = leaf.normGroupsCount;
      const group = (pipeline: ComputePipeline, label: string, entries: BufferBinding[]) =>
        device.createBindGroup({
          label: `momenta ${leaf.name} ${label}`,
          layout: pipeline.getBindGroupLayout(0),
          entries,
        });
      const mine = { buffer: ratios, offset: UNIFORM_STRIDE * i, size: 4 };
      return {
        partialP: group(partial, "param norm", [
          { binding: 0, resource: region(i, 0) },
          { binding: 1, resource: { buffer: leaf.buffer, offset: leaf.offset, size: 4 * leaf.n } },
          { binding: 2, resource: { buffer: partialSums } },
        ]),
        partialX: group(partial, "update norm", [
          { binding: 0, resource: region(i, 1) },
          { binding: 1, resource: { buffer: updates[i]! } },
          { binding: 2, resource: { buffer: partialSums } },
        ]),
        reduce: group(reduce, "trust ratio", [
          { binding: 0, resource: region(i, 2) },
          { binding: 1, resource: { buffer: partialSums } },
          { binding: 2, resource: mine },
        ]),
        apply: group(apply[leaf.vec4 ? 1 : 0]!, "trust ratio apply", [
          { binding: 0, resource: { buffer: uniforms, offset: UNIFORM_STRIDE * i, size: UNIFORM_STRIDE } },
          { binding: 1, resource: { buffer: leaf.buffer, offset: leaf.offset, size: 4 * leaf.n } },
          { binding: 2, resource: { buffer: updates[i]! } },
          { binding: 3, resource: mine },
        ]),
      };
    });
    queue.writeBuffer(trustUniforms, 0, u32);
    /** Encodes leaf i's ratio dispatches (after its update's). */
    const encode = (pass: ComputePass, i: number) => {
      const leaf = leaves[i]!;
      const d = dispatches[i]!;
      pass.setPipeline(partial);
      pass.setBindGroup(0, d.partialP);
      pass.dispatchWorkgroups(leaf.normGroupsCount);
      pass.setBindGroup(0, d.partialX);
      pass.dispatchWorkgroups(leaf.normGroupsCount);
      pass.setPipeline(reduce);
      pass.setBindGroup(0, d.reduce);
      pass.dispatchWorkgroups(1);
      pass.setPipeline(apply[leaf.vec4 ? 1 : 0]!);
      pass.setBindGroup(0, d.apply);
      pass.dispatchWorkgroups(leaf.dispatch[0], leaf.dispatch[1]);
    };
    return { updates, encode };
  }
  const ratio = trust ? trustRatio() : undefined;
  upload(); // zeros, or the state the transform's init gives (Adagrad's initial accumulator)

  /** The bind group of a leaf's update with this gradient (cached by buffer and offset). */
  const groupFor = (leaf: Leaf, i: number, g: WebGpuBuffer, offset: number): Opaque => {
    const byOffset = cacheOf(leaf.groups, g);
    let group = byOffset.get(offset);
    if (!group) {
      group = device.createBindGroup({
        label: `momenta ${leaf.name}`,
        layout: updateLayout,
        entries: [
          {
            binding: BIND.uniforms,
            resource: { buffer: uniforms, offset: UNIFORM_STRIDE * i, size: UNIFORM_STRIDE },
          },
          { binding: BIND.param, resource: { buffer: leaf.buffer, offset: leaf.offset, size: 4 * leaf.n } },
          { binding: BIND.grad, resource: { buffer: g, offset, size: 4 * leaf.n } },
          ...leaf.state.map((b, k) => ({ binding: BIND.firstBuffer + k, resource: { buffer: b } })),
          ...(clip
            ? [{ binding: BIND.firstBuffer + bound.length, resource: { buffer: clipBuffer!, size: 8 } }]
            : []),
          ...(trust
            ? [
                {
                  binding: BIND.firstBuffer + bound.length + (clip ? 1 : 0),
                  resource: { buffer: ratio!.updates[i]! },
                },
              ]
            : []),
        ],
      });
      byOffset.set(offset, group);
    }
    return group;
  };
  const normGroupFor = (leaf: Leaf, i: number, g: WebGpuBuffer, offset: number): Opaque => {
    const byOffset = cacheOf(leaf.normGroups, g);
    let group = byOffset.get(offset);
    if (!group) {
      group = device.createBindGroup({
        label: `momenta ${leaf.name} norm`,
        layout: partialPipeline!.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: normUniforms!, offset: UNIFORM_STRIDE * i, size: 16 } },
          { binding: 1, resource: { buffer: g, offset, size: 4 * leaf.n } },
          { binding: 2, resource: { buffer: partials! } },
        ],
      });
      byOffset.set(offset, group);
    }
    return group;
  };

  /** The gradients by leaf, checked against the params; throws a TypeError naming the first problem. */
  const readGrads = (grads: unknown): { buffer: WebGpuBuffer; offset: number }[] => {
    const fail = (msg: string): never => {
      throw new TypeError(`${OWNER}: step: ${msg}`);
    };
    if (!isRecord(grads))
      return fail(`expected a gradient per param name ({ [name]: GPUBuffer }), got ${showValue(grads)}`);
    const extra = Object.keys(grads).filter((k) => !names.includes(k));
    if (extra.length)
      fail(
        `gradients for [${extra.join(", ")}], which this optimizer does not train (it trains [${names.join(", ")}])`,
      );
    return leaves.map((leaf) => {
      const g = Object.hasOwn(grads, leaf.name) ? grads[leaf.name] : undefined;
      if (g == null) return fail(`no gradient for '${leaf.name}' (every param needs one each step)`);
      const buffer = isBuffer(g) ? g : isRecord(g) && isBuffer(g.buffer) ? g.buffer : undefined;
      if (!buffer)
        return fail(
          `the gradient for '${leaf.name}' is ${showValue(g)}, not a GPUBuffer or { buffer, offset }`,
        );
      const offset = isBuffer(g) ? 0 : ((g as { offset?: unknown }).offset ?? 0);
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0 || offset % align !== 0)
        fail(
          `the gradient for '${leaf.name}': offset must be a whole number of bytes ≥ 0, a multiple of ${align}, got ${showValue(offset)}`,
        );
      const at = `the gradient for '${leaf.name}'`;
      try {
        checkRegion(at, buffer, offset as number, leaf.n, limits.maxStorageBufferBindingSize);
      } catch (e) {
        fail((e as Error).message.replace(`${OWNER}: `, ""));
      }
      const region = { buffer, from: offset as number, to: (offset as number) + 4 * leaf.n, what: at };
      const clash = regions.find((r) => overlaps(r, region));
      if (clash) fail(`${at} overlaps ${clash.what}: a step writes the params while it reads the gradients`);
      return { buffer, offset: offset as number };
    });
  };

  let steps = handle.stepCount;
  let disposed = false;
  const live = (what: string) => {
    if (disposed) throw new Error(`${OWNER}: ${what} on a disposed optimizer (its buffers are destroyed)`);
  };

  return {
    get stepCount() {
      return steps;
    },
    paths: names,
    step(grads) {
      live("step");
      const g = readGrads(grads);
      resolveStep(p, s); // range-checks every scheduled value: may throw, nothing encoded yet
      if (decayed.includes(false)) Object.assign(masked, s, { wd: 0, l2: 0 });
      const codes = leaves.map((leaf, i) => {
        // the texts and uniforms see the leaf's own decay (0 where the mask turns it off)
        const sv = leaf.decayed ? s : masked;
        const slot = (UNIFORM_STRIDE / 4) * i;
        for (let k = 0; k < K; k++) uniformF32[slot + k] = gpu.uniforms[k]!.value(sv);
        uniformF32[slot + K] = sv.l2;
        uniformF32[slot + K + 1] = sv.wd;
        uniformF32[slot + K + 2] = -s.lr;
        return updateShader({
          vec4: leaf.vec4,
          uniforms: kindUniforms,
          bound,
          buffers: gpu.buffers(sv),
          result: gpu.direction ? { direction: gpu.direction(sv), trust } : { value: gpu.value!(sv) },
          clip: clip !== undefined,
          negate: !clip && p.spec.maximize,
          l2: sv.l2 !== 0,
          wd: sv.wd !== 0,
        });
      });
      const encoder = device.createCommandEncoder({ label: "momenta step" });
      const pass = encoder.beginComputePass({ label: "momenta step" });
      if (clip) {
        pass.setPipeline(partialPipeline!);
        leaves.forEach((leaf, i) => {
          pass.setBindGroup(0, normGroupFor(leaf, i, g[i]!.buffer, g[i]!.offset));
          pass.dispatchWorkgroups(leaf.normGroupsCount);
        });
        pass.setPipeline(finalPipeline!);
        pass.setBindGroup(0, finalGroup!);
        pass.dispatchWorkgroups(1);
      }
      leaves.forEach((leaf, i) => {
        pass.setPipeline(pipelineFor(codes[i]!));
        pass.setBindGroup(0, groupFor(leaf, i, g[i]!.buffer, g[i]!.offset));
        pass.dispatchWorkgroups(leaf.dispatch[0], leaf.dispatch[1]);
        ratio?.encode(pass, i);
      });
      pass.end();
      queue.writeBuffer(uniforms, 0, uniformF32);
      queue.submit([encoder.finish()]);
      p.kind.commit?.(s, p.at);
      for (const x of p.counts) x.count += 1;
      steps += 1;
    },
    async stateDict() {
      live("stateDict");
      // The host state as of now (counts, NAdam's μ product), in a handle of its own: steps submitted
      // while the read is pending advance this optimizer's, not the snapshot's.
      const snap = createOptimizer(tx, hostParams, { kernel: "reference" });
      snap.loadStateDict({ ...handle.stateDict(), step: steps });
      const sp = plan(tx, snap.state) as Plan;
      const total = leaves.reduce((a, leaf) => a + 4 * leaf.n * bound.length, 0) + (clip ? 4 : 0);
      const staging = device.createBuffer({
        label: "momenta state read-back",
        size: Math.max(4, total),
        usage: MAP_READ | USAGE.COPY_DST,
      });
      try {
        const encoder = device.createCommandEncoder({ label: "momenta state read-back" });
        let at = 0;
        for (const leaf of leaves) {
          for (const b of leaf.state) {
            encoder.copyBufferToBuffer(b, 0, staging, at, 4 * leaf.n);
            at += 4 * leaf.n;
          }
        }
        if (clip) encoder.copyBufferToBuffer(clipBuffer!, 0, staging, at, 4);
        queue.submit([encoder.finish()]);
        await staging.mapAsync(MAP_READ);
        const all = new Float32Array(staging.getMappedRange());
        let k = 0;
        leaves.forEach((leaf, i) => {
          for (const name of bound) {
            sp.buffers[name]![i]!.set(all.subarray(k, k + leaf.n));
            k += leaf.n;
          }
        });
        if (clip) sp.clip!.state.totalNorm = all[k]!;
        staging.unmap();
      } finally {
        staging.destroy();
      }
      const dict = snap.stateDict();
      snap.dispose();
      return dict;
    },
    loadStateDict(dict, options) {
      live("loadStateDict");
      let report: LoadReport;
      try {
        report = handle.loadStateDict(dict, options);
      } catch (e) {
        throw new TypeError(`${OWNER}: ${(e as Error).message}`, { cause: e });
      }
      steps = handle.stepCount;
      upload();
      return report;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const b of created) b.destroy();
      handle.dispose();
    },
  };
}

/** The bind groups cached for one gradient buffer, by offset. */
function cacheOf(cache: WeakMap<WebGpuBuffer, Map<number, Opaque>>, g: WebGpuBuffer): Map<number, Opaque> {
  let byOffset = cache.get(g);
  if (!byOffset) {
    byOffset = new Map();
    cache.set(g, byOffset);
  }
  return byOffset;
}

/** Throws a RangeError unless `n` float32 values from byte `offset` fit in the buffer, which has STORAGE usage. */
function checkRegion(at: string, buffer: WebGpuBuffer, offset: number, n: number, max: number): void {
  if ((buffer.usage & USAGE.STORAGE) === 0)
    throw new TypeError(`${OWNER}: ${at}: the buffer lacks STORAGE usage (GPUBufferUsage.STORAGE, 0x80)`);
  if (4 * n > max)
    throw new RangeError(
      `${OWNER}: ${at} has ${n} elements (${4 * n} bytes), more than the device's maxStorageBufferBindingSize (${max} bytes)`,
    );
  if (offset + 4 * n > buffer.size)
    throw new RangeError(
      `${OWNER}: ${at} needs ${n} float32 values (${4 * n} bytes${offset ? ` from byte ${offset}` : ""}), and its buffer has ${buffer.size} bytes`,
    );
}
