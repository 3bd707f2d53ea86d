/**
 * The WGSL of the standalone WebGPU path (`optimizer.ts`): one compute shader per leaf's update —
 * every state buffer and the param rewritten in place in one dispatch, from the kind's own element
 * math (`GpuKernel` in its module under `kernels/kinds/`) — and, when the chain clips, the global
 * norm as a reduction in two shaders (per-workgroup partial sums per leaf, then one workgroup that
 * reduces them and writes the norm and the clip factor to a small buffer the updates read).
 */
import { wgslVocabulary } from "../kernels/gpu-vocabulary.js";

/** Invocations of a workgroup of the update shader (one element, or 4 lanes, each). */
export const UPDATE_WORKGROUP = 64;
/** Invocations of a workgroup of the norm's shaders. */
export const NORM_WORKGROUP = 256;
/** Elements each invocation of the partial-norm shader folds in (a workgroup covers 2048). */
export const NORM_PER_INVOCATION = 8;
/** Elements one partial sum covers. */
export const NORM_CHUNK = NORM_WORKGROUP * NORM_PER_INVOCATION;

/** Binding numbers of the update shader: uniforms, param, gradient, then the state buffers, then the clip. */
export const BIND = { uniforms: 0, param: 1, grad: 2, firstBuffer: 3 } as const;

/** What one leaf's update shader computes (its text is the pipeline cache's key). */
export interface UpdateProgram {
  /** 4 lanes an invocation (the leaf's size is a multiple of 4). */
  vec4: boolean;
  /** The kind's uniforms' names (the struct's first fields, in order; then l2, wd, nlr, size). */
  uniforms: readonly string[];
  /** Every state buffer the optimizer keeps, in the kind's order (bound at 3, 4, …). */
  bound: readonly string[];
  /** The new value of each buffer the step updates, by name, in the kind's order. */
  buffers: Readonly<Record<string, string>>;
  /**
   * The update before decay and lr (the kind's `direction`): the param becomes p + (d + wd·p)·(−lr),
   * or with `trust`, d + wd·p is written to the update buffer (bound last) for the trust ratio's
   * dispatches. Or the param's new value itself (the kind's `value`).
   */
  result: { direction: string; trust: boolean } | { value: string };
  /** The clip factor (with maximize's sign) is read from the clip buffer's second float. */
  clip: boolean;
  /** Maximize without clipping: u = −g. */
  negate: boolean;
  /** L2 (coupled decay) on this leaf at this step. */
  l2: boolean;
  /** Decoupled decay on this leaf at this step. */
  wd: boolean;
}

/** The update shader's uniforms struct: the kind's scalars, then l2, wd, −lr, and the size in lanes. */
function uniformStruct(uniforms: readonly string[]): string {
  const fields = [
    ...uniforms.map((n) => `${n} : f32,`),
    "l2 : f32,",
    "wd : f32,",
    "nlr : f32,",
    "size : u32,",
  ];
  return `struct Uniforms { ${fields.join(" ")} }`;
}

/** The index of an invocation of a 1-D range dispatched over x and y (x·y workgroups). */
const INDEX = `@compute @workgroup_size(${UPDATE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let index = gid.x + gid.y * nw.x * ${UPDATE_WORKGROUP}u;
  if (index >= uniforms.size) { return; }`;

/**
 * The update shader: u ← g·gain (or −g), + l2·p; each buffer's new value; then p + (d + wd·p)·(−lr),
 * the kind's own value, or (trust ratio) d + wd·p into the update buffer.
 */
export function updateShader(p: UpdateProgram): string {
  const trust = "direction" in p.result && p.result.trust;
  const after = BIND.firstBuffer + p.bound.length;
  const bindings = [
    `@group(0) @binding(${BIND.uniforms}) var<uniform> uniforms : Uniforms;`,
    `@group(0) @binding(${BIND.param}) var<storage, read_write> s_param : array<V>;`,
    `@group(0) @binding(${BIND.grad}) var<storage, read> s_grad : array<V>;`,
    ...p.bound.map(
      (name, k) =>
        `@group(0) @binding(${BIND.firstBuffer + k}) var<storage, read_write> s_${name} : array<V>;`,
    ),
    ...(p.clip ? [`@group(0) @binding(${after}) var<storage, read> s_clip : array<f32>;`] : []),
    ...(trust
      ? [`@group(0) @binding(${after + (p.clip ? 1 : 0)}) var<storage, read_write> s_update : array<V>;`]
      : []),
  ];
  let u = p.clip ? "grad * s_clip[1]" : p.negate ? "-grad" : "grad";
  if (p.l2) u = `${u} + uniforms.l2 * p`;
  const body = [
    "let grad = s_grad[index];",
    "let p = s_param[index];",
    `let u = ${u};`,
    ...p.bound.map((name) => `let ${name} = s_${name}[index];`),
    ...Object.entries(p.buffers).flatMap(([name, expr]) => [
      `let new_${name} = ${expr};`,
      `s_${name}[index] = new_${name};`,
    ]),
    ...("value" in p.result
      ? [`s_param[index] = ${p.result.value};`]
      : [
          `let d = (${p.result.direction})${p.wd ? " + uniforms.wd * p" : ""};`,
          trust ? "s_update[index] = d;" : "s_param[index] = p + d * uniforms.nlr;",
        ]),
  ];
  return `${wgslVocabulary(p.vec4)}
${uniformStruct(p.uniforms)}
${bindings.join("\n")}
${INDEX}
  ${body.join("\n  ")}
}
`;
}

/**
 * The trust ratio's last dispatch of a leaf: p ← p + (x·ratio)·(−lr), x the update the update shader
 * wrote. Bindings: 0 the leaf's uniforms, 1 the param, 2 the update, 3 the leaf's ratio.
 */
export function applyRatioShader(uniforms: readonly string[], vec4: boolean): string {
  return `${wgslVocabulary(vec4)}
${uniformStruct(uniforms)}
@group(0) @binding(0) var<uniform> uniforms : Uniforms;
@group(0) @binding(1) var<storage, read_write> s_param : array<V>;
@group(0) @binding(2) var<storage, read> s_update : array<V>;
@group(0) @binding(3) var<storage, read> s_ratio : array<f32>;
${INDEX}
  s_param[index] = s_param[index] + (s_update[index] * s_ratio[0]) * uniforms.nlr;
}
`;
}

/**
 * One workgroup per leaf: the trust ratio ‖p‖/‖x‖ from the partial sums of squares of the param and
 * of its update (1 when either norm is 0), as `scaleByTrustRatio` computes it. Bindings: 0 { pBase,
 * xBase, count }, 1 the partials, 2 the leaf's ratio.
 */
export function ratioShader(): string {
  return `
struct Ratio { pBase : u32, xBase : u32, count : u32, }
@group(0) @binding(0) var<uniform> r : Ratio;
@group(0) @binding(1) var<storage, read> partials : array<f32>;
@group(0) @binding(2) var<storage, read_write> ratio : array<f32>;
var<workgroup> accP : array<f32, ${NORM_WORKGROUP}>;
var<workgroup> accX : array<f32, ${NORM_WORKGROUP}>;
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  var a = 0.0;
  var b = 0.0;
  for (var i = lid.x; i < r.count; i += ${NORM_WORKGROUP}u) {
    a += partials[r.pBase + i];
    b += partials[r.xBase + i];
  }
  accP[lid.x] = a;
  accX[lid.x] = b;
  workgroupBarrier();
  for (var s = ${NORM_WORKGROUP / 2}u; s > 0u; s = s / 2u) {
    if (lid.x < s) {
      accP[lid.x] = accP[lid.x] + accP[lid.x + s];
      accX[lid.x] = accX[lid.x] + accX[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let pn = sqrt(accP[0]);
    let xn = sqrt(accX[0]);
    ratio[0] = select(pn / xn, 1.0, pn == 0.0 || xn == 0.0);
  }
}
`;
}

/** How the norm's shaders fold one element in, and the partials together, for torch's p-norm. */
function normMath(normType: number): { term: string; fold: string; finish: string } {
  if (normType === Infinity) return { term: "abs(x)", fold: "max(a, b)", finish: "t" };
  if (normType === 1) return { term: "abs(x)", fold: "a + b", finish: "t" };
  if (normType === 2) return { term: "x * x", fold: "a + b", finish: "sqrt(t)" };
  const p = normType.toPrecision(17);
  return { term: `pow(abs(x), ${p})`, fold: "a + b", finish: `pow(t, 1.0 / ${p})` };
}

/**
 * Per leaf: each workgroup folds NORM_CHUNK elements of the gradient into one partial, written at
 * `base` + its index. Bindings: 0 the leaf's { size, base }, 1 the gradient, 2 the partials.
 */
export function partialNormShader(normType: number): string {
  const { term, fold } = normMath(normType);
  return `
struct Leaf { size : u32, base : u32, }
@group(0) @binding(0) var<uniform> leaf : Leaf;
@group(0) @binding(1) var<storage, read> grad : array<f32>;
@group(0) @binding(2) var<storage, read_write> partials : array<f32>;
var<workgroup> acc : array<f32, ${NORM_WORKGROUP}>;
fn fold(a : f32, b : f32) -> f32 { return ${fold}; }
fn term(x : f32) -> f32 { return ${term}; }
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(local_invocation_id) lid : vec3<u32>, @builtin(workgroup_id) wid : vec3<u32>) {
  let start = wid.x * ${NORM_CHUNK}u + lid.x;
  var a = 0.0;
  for (var k = 0u; k < ${NORM_PER_INVOCATION}u; k++) {
    let i = start + k * ${NORM_WORKGROUP}u;
    if (i < leaf.size) { a = fold(a, term(grad[i])); }
  }
  acc[lid.x] = a;
  workgroupBarrier();
  for (var s = ${NORM_WORKGROUP / 2}u; s > 0u; s = s / 2u) {
    if (lid.x < s) { acc[lid.x] = fold(acc[lid.x], acc[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[leaf.base + wid.x] = acc[0]; }
}
`;
}

/**
 * One workgroup: the partials folded into the norm N, and the clip factor min((1/(N + 1e-6))·maxNorm, 1)
 * (the core's rounding order) with maximize's sign, written to clip[0] and clip[1]. Bindings: 0 { count,
 * maxNorm, sign }, 1 the partials, 2 the clip buffer.
 */
export function finalNormShader(normType: number): string {
  const { fold, finish } = normMath(normType);
  return `
struct Clip { count : u32, maxNorm : f32, sign : f32, }
@group(0) @binding(0) var<uniform> clip : Clip;
@group(0) @binding(1) var<storage, read> partials : array<f32>;
@group(0) @binding(2) var<storage, read_write> result : array<f32>;
var<workgroup> acc : array<f32, ${NORM_WORKGROUP}>;
fn fold(a : f32, b : f32) -> f32 { return ${fold}; }
@compute @workgroup_size(${NORM_WORKGROUP})
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  var a = 0.0;
  for (var i = lid.x; i < clip.count; i += ${NORM_WORKGROUP}u) { a = fold(a, partials[i]); }
  acc[lid.x] = a;
  workgroupBarrier();
  for (var s = ${NORM_WORKGROUP / 2}u; s > 0u; s = s / 2u) {
    if (lid.x < s) { acc[lid.x] = fold(acc[lid.x], acc[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let t = acc[0];
    let norm = ${finish};
    result[0] = norm;
    result[1] = clip.sign * min((1.0 / (norm + 1e-6)) * clip.maxNorm, 1.0);
  }
}
`;
}
