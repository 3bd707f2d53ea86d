/**
 * The fused kinds on TF.js's webgpu backend: per variable one program per state buffer, then one for
 * the variable (`element-programs.ts`) — each a single dispatch over its elements, as WGSL — in place
 * of the dozen ops a kind's TF.js expression takes. Every program
 * writes a new tensor (the writes are assigned once the step's values are all computed, as on the ops
 * path). Only the backend's program API is used (`runWebGPUProgram`), found on the backend object:
 * this module imports nothing of tfjs-backend-webgpu.
 */
import * as tf from "@tensorflow/tfjs-core";
import { wgslVocabulary } from "../kernels/gpu-vocabulary.js";
import type { GpuKernel, Scalars } from "../kernels/kinds/kind.js";
import { type BoundProgram, elementPrograms, type GpuVariableStep, runPrograms } from "./element-programs.js";

/** What this module uses of tfjs-backend-webgpu's WebGPUBackend. */
interface WebGpuBackend {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: "float32",
    uniforms?: { type: "float32"; data: number[] }[],
  ): tf.TensorInfo;
}

/** The webgpu backend TF.js runs on now, when it is one whose programs this module can run. */
export function webgpuBackend(): WebGpuBackend | undefined {
  if (tf.getBackend() !== "webgpu") return undefined;
  const b = tf.backend() as unknown as Partial<WebGpuBackend>;
  return typeof b.runWebGPUProgram === "function" ? (b as WebGpuBackend) : undefined;
}

const WORKGROUP = 64;

/**
 * An elementwise program over a tensor of `shape` (its output has that shape: TF.js reads a tensor
 * back by it), `body` run for each index below its size — of vec4s when `vec4` (the inputs flagged
 * in `whole` read as scalars), so the expressions are written for f32 and vec4<f32> alike.
 */
function program(
  key: string,
  names: string[],
  whole: boolean[],
  shape: readonly number[],
  vec4: boolean,
  uniforms: string,
  body: string,
): object {
  const n = shape.reduce((a, b) => a * b, 1);
  const c = vec4 ? 4 : 1;
  return {
    variableNames: names,
    variableComponents: whole.map((w) => (w ? 1 : c)),
    outputComponent: c,
    outputShape: [...shape],
    shaderKey: `${key} ×${c}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(n / c / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      ${wgslVocabulary(vec4)}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** A program in WGSL: each input read at the index (a `whole` one at 0), then its locals and result. */
function wgsl(p: BoundProgram): string {
  const locals = p.locals.map((l) =>
    "input" in l ? `let ${l.name} = ${l.input}[${l.whole ? "0" : "index"}];` : `let ${l.name} = ${l.expr};`,
  );
  return `${locals.join(" ")} result[index] = ${p.result};`;
}

/**
 * The new state buffers (by name, in the kind's order) and the new value of one variable
 * (`elementPrograms`), each program a dispatch over the variable's elements. Tensors the caller
 * assigns (and a tidy disposes).
 */
export function gpuStep<S extends Scalars>(
  backend: WebGpuBackend,
  kind: string,
  gpu: GpuKernel<S>,
  s: S,
  v: GpuVariableStep,
): { buffers: [string, tf.Tensor][]; value: tf.Tensor } {
  // 4 elements an invocation where the size allows (bench:gpu: 4.3× tf.train.adam's speed, against
  // 1.7× one at a time)
  const vec4 = v.p.size % 4 === 0;
  return runPrograms(elementPrograms(gpu, s, v), v.p, (p) => {
    const body = wgsl(p);
    const uniforms = p.uniforms.map(([name]) => `${name} : f32,`).join(" ");
    const whole = new Set(p.locals.flatMap((l) => ("input" in l && l.whole ? [l.input] : [])));
    const info = backend.runWebGPUProgram(
      // each program's text and uniforms are its cache key (TF.js adds the shapes; it binds the
      // uniforms' values by position)
      program(
        `momenta_${kind}: ${uniforms} ${body}`,
        p.inputs.map(([name]) => name),
        p.inputs.map(([name]) => whole.has(name)),
        v.p.shape,
        vec4,
        uniforms,
        body,
      ),
      p.inputs.map(([, t]) => t),
      "float32",
      p.uniforms.map(([, x]) => ({ type: "float32" as const, data: [x] })),
    );
    return tf.engine().makeTensorFromDataId(info.dataId, v.p.shape, "float32");
  });
}
