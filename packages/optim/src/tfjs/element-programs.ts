/**
 * A fused kind's step for one variable as elementwise GPU programs, in no shading language yet: one
 * program per state buffer (in the kind's order, each reading the new values before it), then one for
 * the variable. `gpu.ts` renders them as WGSL (webgpu), `webgl.ts` as GLSL (webgl); the element math
 * is the kind's (`GpuKernel` in its module under `kernels/kinds/`), written in the vocabulary both read.
 */
import type * as tf from "@tensorflow/tfjs-core";
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
 * One elementwise program: its inputs (each the shape of the variable, but a `whole` one, read as a
 * scalar; a number is the output of that earlier program of the step), its uniforms, its locals in
 * order, and the value it writes at each element. `output` is the state buffer it computes, or
 * undefined for the variable's new value.
 */
export interface ElementProgram<T = tf.Tensor | number> {
  output: string | undefined;
  inputs: [string, T][];
  uniforms: [string, number][];
  locals: Local[];
  result: string;
}

/** A program's text in neutral form (the renderers' cache keys start from it). */
export function describe(p: ElementProgram): string {
  const locals = p.locals.map((l) => ("input" in l ? `${l.name}←${l.input}` : `${l.name}=${l.expr}`));
  return `${locals.join("; ")}; → ${p.result}`;
}

/**
 * The programs of one variable's step, in the order they must run (a program reads the outputs of
 * those before it by name: input `New<k>` is the k-th program's). The update is the kind's ops': u ←
 * g·gain (or −g), + l2·p; each buffer's expression; then p + (direction + wd·p)·(−lr).
 */
export function elementPrograms<S extends Scalars>(
  gpu: GpuKernel<S>,
  s: S,
  v: GpuVariableStep,
): ElementProgram[] {
  const kindUniforms = gpu.uniforms.map((u): [string, number] => [u.name, u.value(s)]);
  // u, as every program that needs it computes it
  const uInputs: [string, tf.Tensor][] = [["Grad", v.g]];
  const uLocals: Local[] = [{ name: "grad", input: "Grad" }];
  let u = "grad";
  if (v.gain) {
    uInputs.push(["Gain", v.gain]);
    uLocals.push({ name: "gain", input: "Gain", whole: true });
    u = "grad * gain";
  } else if (v.negate) u = "-grad";
  const uUniforms: [string, number][] = [];
  if (v.l2 !== 0) {
    uInputs.push(["Param", v.p]);
    uLocals.push({ name: "p", input: "Param" });
    uUniforms.push(["l2", v.l2]);
    u = `${u} + uniforms.l2 * p`;
  }
  uLocals.push({ name: "u", expr: u });

  const out: ElementProgram[] = [];
  const newInputs = (): [string, number][] => out.map((_, k) => [`New${k}`, k]);
  const newLocals = (): Local[] => out.map((o, k) => ({ name: `new_${o.output}`, input: `New${k}` }));
  for (const [name, expr] of Object.entries(gpu.buffers(s))) {
    out.push({
      output: name,
      inputs: [...uInputs, ["Old", v.slots[name]!], ...newInputs()],
      uniforms: [...kindUniforms, ...uUniforms],
      locals: [...uLocals, { name, input: "Old" }, ...newLocals()],
      result: expr,
    });
  }
  // The params' program reads only what the direction names: u (SGD, Adagrad, Lion), a buffer's old
  // value (Lion's m), the new values.
  const direction = gpu.direction(s);
  const names = (word: string) => new RegExp(`\\b${word}\\b`).test(direction);
  const useU = names("u");
  const olds = Object.keys(v.slots).filter(names);
  const decay = v.wd !== 0 ? " + uniforms.wd * p" : "";
  out.push({
    output: undefined,
    inputs: [
      ["Param", v.p],
      ...(useU ? uInputs.filter(([name]) => name !== "Param") : []),
      ...olds.map((name, k): [string, tf.Tensor] => [`Old${k}`, v.slots[name]!]),
      ...newInputs(),
    ],
    uniforms: [...kindUniforms, ...(useU ? uUniforms : []), ["wd", v.wd], ["nlr", -v.lr]],
    locals: [
      { name: "p", input: "Param" },
      ...(useU ? uLocals.filter((l) => l.name !== "p") : []),
      ...olds.map((name, k): Local => ({ name, input: `Old${k}` })),
      ...newLocals(),
      { name: "d", expr: `(${direction})${decay}` },
    ],
    result: "p + d * uniforms.nlr",
  });
  return out;
}

/**
 * Runs the programs in order with `run` (a backend's: it returns the program's output tensor), each
 * earlier program's output bound where it is an input. The buffers' new values by name and the
 * variable's.
 */
export function runPrograms(
  programs: ElementProgram[],
  run: (p: ElementProgram<tf.Tensor>) => tf.Tensor,
): { buffers: [string, tf.Tensor][]; value: tf.Tensor } {
  const made: tf.Tensor[] = [];
  const buffers: [string, tf.Tensor][] = [];
  let value: tf.Tensor | undefined;
  for (const p of programs) {
    const inputs = p.inputs.map(([name, t]): [string, tf.Tensor] => [
      name,
      typeof t === "number" ? made[t]! : t,
    ]);
    const t = run({ ...p, inputs });
    made.push(t);
    if (p.output === undefined) value = t;
    else buffers.push([p.output, t]);
  }
  return { buffers, value: value! };
}
