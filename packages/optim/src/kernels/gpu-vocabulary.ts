/**
 * The helpers a kind's GPU expressions may use (`GpuKernel` in `kinds/kind.ts`), defined once per
 * shading language: every program built from a kind's expressions starts with one of these. `V` is
 * the lanes' type (a float, or 4 of them), `B` the matching booleans.
 */

/** WGSL (webgpu: TF.js's programs and the standalone path), on f32 or vec4<f32> lanes. */
export function wgslVocabulary(vec4: boolean): string {
  return `
  alias V = ${vec4 ? "vec4<f32>" : "f32"};
  alias B = ${vec4 ? "vec4<bool>" : "bool"};
  fn sel(f : V, t : V, c : B) -> V { return select(f, t, c); }
  fn gt(a : V, b : V) -> B { return a > b; }
  fn both(c : B, d : B) -> B { return c & d; }
  fn isNan(x : V) -> B { return x != x; }
  fn isInf(x : V) -> B { return abs(x) > V(3.4028234e38); }
  fn finite(x : V) -> B { return abs(x) <= V(3.4028234e38); }`;
}

/**
 * GLSL ES 3.00 (TF.js's webgl programs), on a packed texel's 4 lanes. `isnan` is TF.js's own
 * (drivers may fold the built-in away).
 */
export const GLSL_VOCABULARY = `
  #define V vec4
  #define B bvec4
  V sel(V f, V t, B c) { return mix(f, t, c); }
  B gt(V a, V b) { return greaterThan(a, b); }
  B both(B c, B d) { return bvec4(c.x && d.x, c.y && d.y, c.z && d.z, c.w && d.w); }
  B isNan(V x) { return isnan(x); }
  B isInf(V x) { return greaterThan(abs(x), V(3.4028234e38)); }
  B finite(V x) { return lessThanEqual(abs(x), V(3.4028234e38)); }`;
