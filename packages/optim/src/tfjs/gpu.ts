/**
 * The fused kinds on TF.js's webgpu backend: per variable one program per state buffer, then one for
 * the variable — each a single dispatch over its elements, built from the kind's WGSL (its module in
 * `kernels/kinds/`: `gpu`) — in place of the dozen ops a kind's TF.js expression takes. Every program
 * writes a new tensor (the writes are assigned once the step's values are all computed, as on the ops
 * path). Only the backend's program API is used (`runWebGPUProgram`), found on the backend object:
 * this module imports nothing of tfjs-backend-webgpu.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { GpuKernel, Scalars } from "../kernels/kinds/kind.js";

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

/** The helpers the kinds' expressions use (`GpuKernel`), for lanes of type V with booleans B. */
const HELPERS = `
  fn sel(f : V, t : V, c : B) -> V { return select(f, t, c); }
  fn gt(a : V, b : V) -> B { return a > b; }
  fn both(c : B, d : B) -> B { return c & d; }
  fn isNan(x : V) -> B { return x != x; }
  fn isInf(x : V) -> B { return abs(x) > V(3.4028234e38); }
  fn finite(x : V) -> B { return abs(x) <= V(3.4028234e38); }`;

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
      alias V = ${vec4 ? "vec4<f32>" : "f32"};
      alias B = ${vec4 ? "vec4<bool>" : "bool"};
      ${HELPERS}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** One variable's step: its gradient, value, state buffers by name, and what applies to it. */
export interface GpuVariableStep {
  g: tf.Tensor;
  p: tf.Tensor;
  slots: Record<string, tf.Tensor>;
  /** The clip factor (with maximize's sign) as a one-element tensor, when clipping. */
  gain: tf.Tensor | undefined;
  /** Maximize without clipping: u = −g. */
  negate: boolean;
  l2: number;
  wd: number;
  lr: number;
}

/**
 * The new state buffers (by name, in the kind's order) and the new value of one variable, as the
 * kind's ops compute them: u ← g·gain (or −g), + l2·p; each buffer's expression; then
 * p + (direction + wd·p)·(−lr). Tensors the caller assigns (and a tidy disposes).
 */
export function gpuStep<S extends Scalars>(
  backend: WebGpuBackend,
  kind: string,
  gpu: GpuKernel<S>,
  s: S,
  v: GpuVariableStep,
): { buffers: [string, tf.Tensor][]; value: tf.Tensor } {
  const f32 = (x: number) => ({ type: "float32" as const, data: [x] });
  const kindUniforms = gpu.uniforms.map((u) => `${u.name} : f32,`).join(" ");
  const kindValues = gpu.uniforms.map((u) => f32(u.value(s)));
  // 4 elements an invocation where the size allows (bench:gpu: 4.3× tf.train.adam's speed, against
  // 1.7× one at a time)
  const vec4 = v.p.size % 4 === 0;
  const run = (key: string, inputs: [string, tf.Tensor][], extra: [string, number][], body: string) => {
    const info = backend.runWebGPUProgram(
      program(
        key,
        inputs.map(([name]) => name),
        inputs.map(([name]) => name === "Gain"),
        v.p.shape,
        vec4,
        `${kindUniforms} ${extra.map(([name]) => `${name} : f32,`).join(" ")}`,
        body,
      ),
      inputs.map(([, t]) => t),
      "float32",
      [...kindValues, ...extra.map(([, x]) => f32(x))],
    );
    return tf.engine().makeTensorFromDataId(info.dataId, v.p.shape, "float32");
  };
  // u, as every buffer's program computes it
  const uInputs: [string, tf.Tensor][] = [["Grad", v.g]];
  let u = "var u = Grad[index];";
  if (v.gain) {
    uInputs.push(["Gain", v.gain]);
    u += " u = u * Gain[0];";
  } else if (v.negate) u += " u = -u;";
  const uExtra: [string, number][] = [];
  if (v.l2 !== 0) {
    uInputs.push(["Param", v.p]);
    uExtra.push(["l2", v.l2]);
    u += " u = u + uniforms.l2 * Param[index];";
  }
  const exprs = Object.entries(gpu.buffers(s));
  const made: [string, tf.Tensor][] = [];
  const newInputs = () => made.map(([, t], k): [string, tf.Tensor] => [`New${k}`, t]);
  const readNew = () => made.map(([name], k) => `let new_${name} = New${k}[index];`).join(" ");
  // each program's text is its cache key (TF.js adds the shapes)
  for (const [name, expr] of exprs) {
    const body = `${u} let ${name} = Old[index]; ${readNew()} result[index] = ${expr};`;
    const t = run(
      `momenta_${kind}: ${body}`,
      [...uInputs, ["Old", v.slots[name]!], ...newInputs()],
      uExtra,
      body,
    );
    made.push([name, t]);
  }
  // The params' program reads only what the direction names: u (SGD, Adagrad, Lion), a buffer's old
  // value (Lion's m), the new values.
  const direction = gpu.direction(s);
  const names = (word: string) => new RegExp(`\\b${word}\\b`).test(direction);
  const useU = names("u");
  const olds = Object.keys(v.slots).filter(names);
  const decay = v.wd !== 0 ? " d = d + uniforms.wd * p;" : "";
  const body = [
    "let p = Param[index];",
    useU ? u : "",
    ...olds.map((name, k) => `let ${name} = Old${k}[index];`),
    readNew(),
    `var d = ${direction};${decay} result[index] = p + d * uniforms.nlr;`,
  ].join(" ");
  const value = run(
    `momenta_${kind}: ${body}`,
    [
      ["Param", v.p],
      ...(useU ? uInputs.filter(([name]) => name !== "Param") : []),
      ...olds.map((name, k): [string, tf.Tensor] => [`Old${k}`, v.slots[name]!]),
      ...newInputs(),
    ],
    [...(useU ? uExtra : []), ["wd", v.wd], ["nlr", -v.lr]],
    body,
  );
  return { buffers: made, value };
}
