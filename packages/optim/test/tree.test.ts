import {
  assertSameStructure,
  cloneTree,
  flatten,
  leafShape,
  leavesOf,
  mapTree,
  resolveMask,
  structureMismatch,
  type Tree,
  zerosLike,
  zipLeaves,
} from "momenta-optim";
import { describe, expect, it } from "vitest";

const f32 = (...v: number[]) => Float32Array.from(v);
const f64 = (...v: number[]) => Float64Array.from(v);

const model = (): Tree => ({
  encoder: { layers: [{ weight: { data: f32(1, 2, 3, 4, 5, 6), shape: [2, 3] }, bias: f32(0, 0) }] },
  head: f64(7),
});

describe("flatten", () => {
  it("gives stable dotted paths, keys sorted, arrays in order", () => {
    const { paths, leaves } = flatten(model());
    expect(paths).toEqual(["encoder.layers.0.bias", "encoder.layers.0.weight", "head"]);
    expect(leafShape(leaves[1]!)).toEqual([2, 3]);
    expect(leafShape(leaves[0]!)).toEqual([2]);
  });
  it("does not depend on the order keys were written in", () => {
    expect(flatten({ b: f32(1), a: f32(2) }).paths).toEqual(flatten({ a: f32(2), b: f32(1) }).paths);
  });
  it("accepts a bare leaf as the root, with the empty path", () => {
    expect(flatten(f32(1, 2)).paths).toEqual([""]);
  });
  it("rejects unsupported leaves, naming the path", () => {
    expect(() => flatten({ a: { b: new Int32Array(2) as unknown as Tree } })).toThrow(/'a\.b'.*Int32Array/);
    expect(() => flatten({ a: [f32(1), 3 as unknown as Tree] })).toThrow(/'a\.1' is a number/);
    expect(() => flatten({ w: { data: f32(1, 2, 3), shape: [2, 2] } })).toThrow(/'w': shape \[2, 2\]/);
  });
});

describe("mapTree / zerosLike / cloneTree", () => {
  it("keeps structure, shapes and dtypes", () => {
    const z = zerosLike(model());
    expect(structureMismatch(model(), z, { dtype: true })).toBeNull();
    expect(leavesOf(z).every((a) => a.every((x) => x === 0))).toBe(true);
    const doubled = mapTree(model(), (d) => d.map((x) => 2 * x));
    expect(Array.from(leavesOf(doubled)[1]!)).toEqual([2, 4, 6, 8, 10, 12]);
  });
  it("clones deeply", () => {
    const m = model();
    const c = cloneTree(m);
    leavesOf(c)[2]![0] = 99;
    expect(leavesOf(m)[2]![0]).toBe(7);
  });
  it("zips leaves with their paths", () => {
    const seen: string[] = [];
    zipLeaves(model(), zerosLike(model()), (x, y, p) => seen.push(`${p}:${x.length}=${y.length}`));
    expect(seen).toEqual(["encoder.layers.0.bias:2=2", "encoder.layers.0.weight:6=6", "head:1=1"]);
  });
});

describe("structure checks name the first mismatching path", () => {
  const cases: [string, Tree, RegExp][] = [
    [
      "missing key",
      { encoder: { layers: [{ weight: f32(1, 2, 3, 4, 5, 6) }] }, head: f64(1) },
      /'encoder\.layers\.0': keys differ \(missing 'bias'\)/,
    ],
    ["extra key", { ...(model() as object), tail: f32(1) } as Tree, /keys differ \(unexpected 'tail'\)/],
    [
      "length",
      { encoder: { layers: [{ weight: f32(1, 2, 3, 4, 5, 6), bias: f32(0) }] }, head: f64(1) },
      /'encoder\.layers\.0\.bias': expected length 2, got 1/,
    ],
    [
      "array length",
      { encoder: { layers: [] }, head: f64(1) },
      /'encoder\.layers': expected an array of length 1, got 0/,
    ],
    [
      "dtype",
      { encoder: { layers: [{ weight: f32(1, 2, 3, 4, 5, 6), bias: f32(0, 0) }] }, head: f32(1) },
      /'head': expected float64, got float32/,
    ],
    ["leaf vs node", { encoder: f32(1), head: f64(1) }, /'encoder': expected an object, got a Float32Array/],
    [
      "shape",
      {
        encoder: { layers: [{ weight: { data: f32(1, 2, 3, 4, 5, 6), shape: [3, 2] }, bias: f32(0, 0) }] },
        head: f64(1),
      },
      /expected shape \[2, 3\], got \[3, 2\]/,
    ],
  ];
  for (const [what, other, re] of cases) {
    it(what, () =>
      expect(() => assertSameStructure(model(), other, { what: "gradients", dtype: true })).toThrow(re),
    );
  }
  it("a plain array matches a shaped leaf of the same length", () => {
    expect(structureMismatch({ w: { data: f32(1, 2), shape: [1, 2] } }, { w: f32(3, 4) })).toBeNull();
  });
});

describe("masks", () => {
  it("predicate on (path, leaf)", () => {
    expect(resolveMask((p, l) => !p.endsWith("bias") && leafShape(l).length > 1, model())).toEqual([
      false,
      true,
      false,
    ]);
  });
  it("boolean tree, with booleans standing for whole subtrees", () => {
    expect(resolveMask({ encoder: true, head: false }, model())).toEqual([true, true, false]);
    expect(
      resolveMask({ encoder: { layers: [{ weight: true, bias: false }] }, head: true }, model()),
    ).toEqual([false, true, true]);
  });
  it("bad masks say where", () => {
    expect(() => resolveMask({ encoder: true, hed: false } as never, model())).toThrow(/unknown key 'hed'/);
    expect(() => resolveMask({ encoder: true } as never, model())).toThrow(/'head': missing/);
    expect(() => resolveMask(() => 1 as never, model())).toThrow(/returned a number/);
  });
});
