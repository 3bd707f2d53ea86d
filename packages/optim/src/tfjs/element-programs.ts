/**
 * A fused kind's step for one variable as elementwise GPU programs, in no shading language yet: one
 * program per state buffer (in the kind's order, each reading the new values before it), then one for
 * the variable (LAMB: one for its update, then its trust ratio by TF.js's reductions, then the
 * variable's). `gpu.ts` renders them as WGSL (webgpu), `webgl.ts` as GLSL (webgl); the element math
 * is the kind's (`GpuKernel` in its module under `kernels/kinds/`), written in the vocabulary both read.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { GpuKernel, Scalars } from "../kernels/kinds/kind.js";

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

/** A local of a program: an input read at the element (or its one value: `whole`), or an expression. */
export type Local = { name: string; input: string; whole?: true } | { name: string; expr: string };

/**
 * Where a program's input comes from: a tensor, the output of an earlier program of the step (its
 * index), or the trust ratio ‖p‖/‖x‖ of the variable and an earlier program's output (1 where
 * either norm is 0), a one-element tensor computed between the programs.
 */
export type Source = tf.Tensor | number | { ratioOf: number };

/**
 * One elementwise program: its inputs (each the shape of the variable, but a `whole` one, read as a
 * scalar), its uniforms, its locals in order, and the value it writes at each element: a state
 * buffer's new value, the variable's, or the update the trust ratio scales.
 */
export interface ElementProgram {
  output: { buffer: string } | "update" | "value";
  inputs: [string, Source][];
  uniforms: [string, number][];
  locals: Local[];
  result: string;
}

/** A program as a backend runs it: every input a tensor. */
export type BoundProgram = Omit<ElementProgram, "inputs"> & { inputs: [string, tf.Tensor][] };

/**
 * The programs of one variable's step, in the order they must run. The update is the kind's ops':
 * u ← g·gain (or −g), + l2·p; each buffer's expression; then p + (direction + wd·p)·(−lr) — or the
 * kind's own new value (`value`), or with the update scaled by the trust ratio (`trustRatio`). Each
 * program reads only what its text names (u, p, a buffer's old value, the new values before it).
 */
export function elementPrograms<S extends Scalars>(
  gpu: GpuKernel<S>,
  s: S,
  v: GpuVariableStep,
): ElementProgram[] {
  // the texts see the variable's decay (a mask turns it off per variable)
  const sv: S = v.wd === s.wd ? s : { ...s, wd: v.wd };
  const kindUniforms = gpu.uniforms.map((u): [string, number] => [u.name, u.value(sv)]);
  const stepUniforms: [string, number][] = [
    ["wd", v.wd],
    ["nlr", -v.lr],
  ];
  const bufferNames = Object.keys(v.slots);
  const out: ElementProgram[] = [];

  /** Adds the program computing `result` after the `own` locals; its inputs found in their text. */
  const program = (
    output: ElementProgram["output"],
    own: [string, string][],
    result: string,
    extra: { locals: Local[]; inputs: [string, Source][] } = { locals: [], inputs: [] },
  ) => {
    const text = [...own.map(([, e]) => e), result].join(" ");
    const names = (word: string) => new RegExp(`\\b${word}\\b`).test(text);
    const useU = names("u");
    const useP = names("p") || (useU && v.l2 !== 0);
    const inputs: [string, Source][] = [];
    const locals: Local[] = [];
    const uniforms: [string, number][] = [...kindUniforms, ...stepUniforms];
    if (useP) {
      inputs.push(["Param", v.p]);
      locals.push({ name: "p", input: "Param" });
    }
    if (useU) {
      inputs.push(["Grad", v.g]);
      locals.push({ name: "grad", input: "Grad" });
      let u = "grad";
      if (v.gain) {
        inputs.push(["Gain", v.gain]);
        locals.push({ name: "gain", input: "Gain", whole: true });
        u = "grad * gain";
      } else if (v.negate) u = "-grad";
      if (v.l2 !== 0) {
        uniforms.push(["l2", v.l2]);
        u = `${u} + uniforms.l2 * p`;
      }
      locals.push({ name: "u", expr: u });
    }
    bufferNames.forEach((name, k) => {
      if (!names(name)) return;
      inputs.push([`Old${k}`, v.slots[name]!]);
      locals.push({ name, input: `Old${k}` });
    });
    out.forEach((o, k) => {
      if (typeof o.output !== "object" || !names(`new_${o.output.buffer}`)) return;
      inputs.push([`New${k}`, k]);
      locals.push({ name: `new_${o.output.buffer}`, input: `New${k}` });
    });
    inputs.push(...extra.inputs);
    locals.push(...extra.locals, ...own.map(([name, expr]): Local => ({ name, expr })));
    out.push({ output, inputs, uniforms, locals, result });
  };

  for (const [name, expr] of Object.entries(gpu.buffers(sv))) program({ buffer: name }, [], expr);
  const decay = v.wd !== 0 ? " + uniforms.wd * p" : "";
  if (gpu.value) program("value", [], gpu.value(sv));
  else if (gpu.trustRatio) {
    program("update", [], `(${gpu.direction(sv)})${decay}`);
    const update = out.length - 1;
    program("value", [], "p + (x * ratio) * uniforms.nlr", {
      locals: [
        { name: "x", input: "Update" },
        { name: "ratio", input: "Ratio", whole: true },
      ],
      inputs: [
        ["Update", update],
        ["Ratio", { ratioOf: update }],
      ],
    });
  } else program("value", [["d", `(${gpu.direction(sv)})${decay}`]], "p + d * uniforms.nlr");
  return out;
}

/**
 * ‖p‖/‖x‖ as a one-element tensor, 1 where a norm is 0 (as the chain: a NaN norm makes it NaN), by
 * TF.js's ops — reductions, on the device (float32 sums; the chain sums in float64).
 */
function trustRatio(p: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const [pn, xn] = [tf.norm(p), tf.norm(x)];
  const scaled = tf.logicalAnd(tf.notEqual(pn, 0), tf.notEqual(xn, 0));
  return tf.reshape(tf.where(scaled, tf.div(pn, xn), tf.onesLike(pn)), [1]);
}

/**
 * Runs the programs in order with `run` (a backend's: it returns the program's output tensor), each
 * earlier program's output bound where it is an input, the trust ratio computed by TF.js's ops. The
 * buffers' new values by name and the variable's (`p` is the variable's value).
 */
export function runPrograms(
  programs: ElementProgram[],
  p: tf.Tensor,
  run: (program: BoundProgram) => tf.Tensor,
): { buffers: [string, tf.Tensor][]; value: tf.Tensor } {
  const made: tf.Tensor[] = [];
  const buffers: [string, tf.Tensor][] = [];
  let value: tf.Tensor | undefined;
  for (const program of programs) {
    const inputs = program.inputs.map(([name, t]): [string, tf.Tensor] => [
      name,
      typeof t === "number" ? made[t]! : "ratioOf" in t ? trustRatio(p, made[t.ratioOf]!) : t,
    ]);
    const t = run({ ...program, inputs });
    made.push(t);
    if (program.output === "value") value = t;
    else if (program.output !== "update") buffers.push([program.output.buffer, t]);
  }
  return { buffers, value: value! };
}
