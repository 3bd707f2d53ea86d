/**
 * The fused kinds on TF.js's webgl backend: per variable one fragment program per state buffer, then
 * one for the variable (`element-programs.ts`; WebGL writes one texture a pass) — each a single draw,
 * as GLSL — in place of the dozen ops a kind's TF.js expression takes. The programs read and write
 * packed textures (4 values a texel, as TF.js's own elementwise ops do: no packing pass between them
 * and the model's ops). Only the backend's program API is used (`compileAndRun`), found on the backend
 * object: this module imports nothing of tfjs-backend-webgl.
 */
import * as tf from "@tensorflow/tfjs-core";
import { GLSL_VOCABULARY } from "../kernels/gpu-vocabulary.js";
import type { GpuKernel, Scalars } from "../kernels/kinds/kind.js";
import { type BoundProgram, elementPrograms, type GpuVariableStep, runPrograms } from "./element-programs.js";

/** What this module uses of tfjs-backend-webgl's MathBackendWebGL. */
interface WebGlBackend {
  compileAndRun(
    program: object,
    inputs: tf.TensorInfo[],
    dtype: "float32",
    uniforms: number[][],
    preventEagerUnpackingOfOutput: boolean,
  ): tf.TensorInfo;
}

/** The webgl backend TF.js runs on now, when it is one whose programs this module can run. */
export function webglBackend(): WebGlBackend | undefined {
  if (tf.getBackend() !== "webgl") return undefined;
  const b = tf.backend() as unknown as Partial<WebGlBackend>;
  return typeof b.compileAndRun === "function" ? (b as WebGlBackend) : undefined;
}

/** The kinds' uniforms are `uniforms.<name>` in their text, `mo_<name>` in GLSL. */
const glsl = (expr: string) => expr.replace(/\buniforms\./g, "mo_");

/**
 * Zeroes the lanes of the output texel past the variable's last row or column (as TF.js's packed
 * ops do where they could write there): packed matMul reads whole texels, so those lanes must hold 0.
 */
function zeroPadding(shape: readonly number[]): string {
  const rank = shape.length;
  if (rank === 0 || shape.reduce((a, b) => a * b, 1) === 1) return "r.y = 0.; r.z = 0.; r.w = 0.;";
  if (rank === 1)
    return `int c = getOutputCoords(); r.y = c + 1 >= ${shape[0]} ? 0. : r.y; r.z = 0.; r.w = 0.;`;
  const lanes = ["x", "y", "z", "w", "u", "v"];
  return `ivec${rank} c = getOutputCoords();
    bool row = c.${lanes[rank - 2]} + 1 >= ${shape[rank - 2]};
    bool col = c.${lanes[rank - 1]} + 1 >= ${shape[rank - 1]};
    r.y = col ? 0. : r.y; r.z = row ? 0. : r.z; r.w = col || row ? 0. : r.w;`;
}

/**
 * A program in GLSL: each input read at the output's texel (a `whole` one's single value), its locals,
 * its result. It starts with its uniforms' names: TF.js caches a compiled program by its text (and
 * the inputs' shapes), not by its uniforms, and binds their values by position — two kinds' programs
 * of the same text but different uniform lists (Adam's and RAdam's moments) must not share one.
 */
function fragment(p: BoundProgram, shape: readonly number[]): string {
  const getter = (input: string) => `get${input}`;
  const locals = p.locals.map((l) =>
    "input" in l
      ? l.whole
        ? `float ${l.name} = ${getter(l.input)}(0).x;`
        : `V ${l.name} = ${getter(l.input)}AtOutCoords();`
      : `V ${l.name} = ${glsl(l.expr)};`,
  );
  return `// uniforms: ${p.uniforms.map(([name]) => name).join(" ")}
  ${GLSL_VOCABULARY}
  void main() {
    ${locals.join("\n    ")}
    V r = ${glsl(p.result)};
    ${zeroPadding(shape)}
    setOutput(r);
  }`;
}

/**
 * The new state buffers (by name, in the kind's order) and the new value of one variable
 * (`elementPrograms`), each program a draw over the variable's packed texels. Tensors the caller
 * assigns (and a tidy disposes).
 */
export function webglStep<S extends Scalars>(
  backend: WebGlBackend,
  gpu: GpuKernel<S>,
  s: S,
  v: GpuVariableStep,
): { buffers: [string, tf.Tensor][]; value: tf.Tensor } {
  return runPrograms(elementPrograms(gpu, s, v), v.p, (p) => {
    const info = backend.compileAndRun(
      // TF.js caches the compiled program by its text and the inputs' shapes
      {
        variableNames: p.inputs.map(([name]) => name),
        outputShape: [...v.p.shape],
        userCode: fragment(p, v.p.shape),
        packedInputs: true,
        packedOutput: true,
        customUniforms: p.uniforms.map(([name]) => ({ name: `mo_${name}`, type: "float" })),
      },
      p.inputs.map(([, t]) => t),
      "float32",
      p.uniforms.map(([, x]) => [x]),
      true,
    );
    return tf.engine().makeTensorFromDataId(info.dataId, v.p.shape, "float32");
  });
}
