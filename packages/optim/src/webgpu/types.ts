/**
 * The WebGPU objects the standalone path takes, as structural interfaces: a `GPUDevice` and a
 * `GPUBuffer` (TypeScript's DOM lib, or @webgpu/types) fit them, and a project without WebGPU's
 * types compiles against them. What the path calls beyond these it reaches through the internal
 * interfaces below (the same objects, typed for this module only).
 */

/** What this path reads of a `GPUBuffer` (a real one fits). */
export interface WebGpuBuffer {
  /** Its size in bytes. */
  readonly size: number;
  /** Its `GPUBufferUsage` flags (params and gradients need STORAGE, 0x80). */
  readonly usage: number;
}

/** What this path reads of a `GPUDevice`'s limits (a real `GPUSupportedLimits` fits). */
export interface WebGpuLimits {
  /** The largest storage binding, in bytes: a leaf may not be larger. */
  readonly maxStorageBufferBindingSize: number;
  /** The alignment, in bytes, of a binding's offset into a buffer (params or gradients at an offset). */
  readonly minStorageBufferOffsetAlignment: number;
  /** Storage buffers a shader may bind: the update binds 2, one per state buffer, and one more when clipping. */
  readonly maxStorageBuffersPerShaderStage: number;
}

/** What this path reads of a `GPUQueue` (a real one fits). */
export interface WebGpuQueue {
  /** Resolves once the work submitted so far (the steps) has run. */
  onSubmittedWorkDone(): Promise<unknown>;
}

/** What this path needs to see of a `GPUDevice` (a real one fits; it is used as one). */
export interface WebGpuDevice {
  /** The device's limits, checked against the leaves and the kind's buffers. */
  readonly limits: WebGpuLimits;
  /** The device's queue (steps are submitted to it). */
  readonly queue: WebGpuQueue;
  /** Creates a buffer (the state, uniforms and read-back buffers the optimizer owns). */
  createBuffer(descriptor: { size: number; usage: number; label?: string }): WebGpuBuffer;
}

// ---- Internal: the rest of the WebGPU API this path calls, on the same objects.

/** GPUBufferUsage's flags (numbers: the global is absent outside browsers). */
export const USAGE = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

/** GPUMapMode.READ. */
export const MAP_READ = 0x1;

export interface Buffer extends WebGpuBuffer {
  destroy(): void;
  mapAsync(mode: number, offset?: number, size?: number): Promise<unknown>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
}

export type Opaque = object;

export interface BufferBinding {
  binding: number;
  resource: { buffer: WebGpuBuffer; offset?: number; size?: number };
}

export interface ComputePass {
  setPipeline(pipeline: Opaque): void;
  setBindGroup(index: number, group: Opaque): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface CommandEncoder {
  beginComputePass(descriptor?: { label?: string }): ComputePass;
  copyBufferToBuffer(
    source: WebGpuBuffer,
    sourceOffset: number,
    destination: WebGpuBuffer,
    destinationOffset: number,
    size: number,
  ): void;
  finish(): Opaque;
}

export interface Queue {
  submit(buffers: Opaque[]): void;
  writeBuffer(
    buffer: WebGpuBuffer,
    offset: number,
    data: ArrayBufferView,
    dataOffset?: number,
    size?: number,
  ): void;
  onSubmittedWorkDone(): Promise<unknown>;
}

export interface BindGroupLayout extends Opaque {}
export interface ComputePipeline extends Opaque {
  getBindGroupLayout(index: number): BindGroupLayout;
}

export interface Device {
  readonly limits: WebGpuLimits;
  readonly queue: Queue;
  createBuffer(descriptor: { size: number; usage: number; label?: string }): Buffer;
  createShaderModule(descriptor: { code: string; label?: string }): Opaque;
  createBindGroupLayout(descriptor: {
    label?: string;
    entries: {
      binding: number;
      visibility: number;
      buffer: { type: "uniform" | "storage" | "read-only-storage" };
    }[];
  }): BindGroupLayout;
  createPipelineLayout(descriptor: { bindGroupLayouts: BindGroupLayout[] }): Opaque;
  createComputePipeline(descriptor: {
    label?: string;
    layout: Opaque | "auto";
    compute: { module: Opaque; entryPoint: string };
  }): ComputePipeline;
  createBindGroup(descriptor: { label?: string; layout: BindGroupLayout; entries: BufferBinding[] }): Opaque;
  createCommandEncoder(descriptor?: { label?: string }): CommandEncoder;
}

/** GPUShaderStage.COMPUTE. */
export const COMPUTE = 0x4;
