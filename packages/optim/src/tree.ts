/**
 * Param trees: the containers optimizers walk.
 *
 * A tree is a leaf, an array of trees, or a plain object of trees. A leaf is a `Float32Array` or a
 * `Float64Array` (1-D), or `{ data, shape }` for transforms that need the shape. Leaves are visited
 * in a fixed order — array index order, object keys sorted — so paths and state layouts do not
 * depend on the order in which an object literal happened to be written.
 */

/** The element arrays a leaf may hold. */
export type FloatArray = Float32Array | Float64Array;

/** A leaf that carries its shape; `data.length` must equal the product of `shape`. */
export interface ShapedLeaf {
  /** The elements, row-major. */
  readonly data: FloatArray;
  /** The dimensions. */
  readonly shape: readonly number[];
}

/** A tree's leaf: a 1-D float array, or `{ data, shape }`. */
export type Leaf = FloatArray | ShapedLeaf;

/** A param tree: a leaf, an array of trees, or a plain object of trees (see the module comment). */
export type Tree = Leaf | readonly Tree[] | { readonly [key: string]: Tree };

/** The element type of a leaf. */
export type Dtype = "float32" | "float64";

/** The paths and leaves of a tree, in visiting order. */
export interface Flat {
  /** Each leaf's path: keys and indices joined by "." ("" for a root leaf). */
  readonly paths: string[];
  /** The leaves, as found in the tree. */
  readonly leaves: Leaf[];
}

/** Whether `x` is a Float32Array or a Float64Array. */
export function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** Whether `x` looks like `{ data, shape }` (the shape is checked against the data when the tree is walked). */
export function isShapedLeaf(x: unknown): x is ShapedLeaf {
  if (x === null || typeof x !== "object" || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const o = x as { data?: unknown; shape?: unknown };
  return isFloatArray(o.data) && Array.isArray(o.shape) && o.shape.every((d) => typeof d === "number");
}

/** Whether `x` is a leaf: a float array or a shaped leaf. */
export function isLeaf(x: unknown): x is Leaf {
  return isFloatArray(x) || isShapedLeaf(x);
}

/** A leaf's element array. */
export function leafData(leaf: Leaf): FloatArray {
  return isFloatArray(leaf) ? leaf : leaf.data;
}

/** A leaf's shape: its own for a shaped leaf, `[length]` for a plain array. */
export function leafShape(leaf: Leaf): readonly number[] {
  return isFloatArray(leaf) ? [leaf.length] : leaf.shape;
}

/** The dtype of a float array. */
export function dtypeOf(a: FloatArray): Dtype {
  return a instanceof Float32Array ? "float32" : "float64";
}

/** How a path is shown in messages: the root leaf has the empty path. */
export function showPath(path: string): string {
  return path === "" ? "(root)" : `'${path}'`;
}

function join(prefix: string, key: string | number): string {
  return prefix === "" ? String(key) : `${prefix}.${key}`;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  if (typeof x === "object") return "an object";
  return `a ${typeof x}`;
}

function visit(node: unknown, path: string, fn: (path: string, leaf: Leaf) => void): void {
  if (isLeaf(node)) {
    if (isShapedLeaf(node)) {
      const size = node.shape.reduce((a, b) => a * b, 1);
      if (!node.shape.every((d) => Number.isInteger(d) && d >= 0) || size !== node.data.length) {
        throw new TypeError(
          `leaf ${showPath(path)}: shape [${node.shape.join(", ")}] does not match data of length ${node.data.length}`,
        );
      }
    }
    fn(path, node);
  } else if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) visit(node[i], join(path, i), fn);
  } else if (node !== null && typeof node === "object" && !ArrayBuffer.isView(node)) {
    const proto = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`tree node ${showPath(path)} is ${describe(node)} that is not a plain object`);
    }
    for (const key of Object.keys(node).sort()) {
      visit((node as Record<string, unknown>)[key], join(path, key), fn);
    }
  } else {
    throw new TypeError(
      `tree node ${showPath(path)} is ${describe(node)}; leaves must be Float32Array, Float64Array or { data, shape }`,
    );
  }
}

/** Calls `fn` on every leaf, in visiting order. Throws a TypeError naming the path of a bad node. */
export function forEachLeaf(tree: Tree, fn: (path: string, leaf: Leaf) => void): void {
  visit(tree, "", fn);
}

/** The paths and leaves of a tree, in visiting order (validating the whole tree). */
export function flatten(tree: Tree): Flat {
  const paths: string[] = [];
  const leaves: Leaf[] = [];
  visit(tree, "", (p, l) => {
    paths.push(p);
    leaves.push(l);
  });
  return { paths, leaves };
}

/** The data arrays of a tree's leaves, in visiting order. */
export function leavesOf(tree: Tree): FloatArray[] {
  const out: FloatArray[] = [];
  if (!collect(tree, out)) {
    out.length = 0;
    visit(tree, "", (_, l) => {
      out.push(leafData(l)); // the slow walk, for its error message
    });
  }
  return out;
}

/** The fast walk behind leavesOf: no path strings; false if anything looks wrong. */
function collect(node: unknown, out: FloatArray[]): boolean {
  if (node instanceof Float32Array || node instanceof Float64Array) {
    out.push(node);
    return true;
  }
  if (Array.isArray(node)) {
    for (const child of node) if (!collect(child, out)) return false;
    return true;
  }
  if (node === null || typeof node !== "object" || ArrayBuffer.isView(node)) return false;
  if (isShapedLeaf(node)) {
    if (node.shape.reduce((a, b) => a * b, 1) !== node.data.length) return false;
    out.push(node.data);
    return true;
  }
  const proto = Object.getPrototypeOf(node);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(node);
  if (keys.length > 1) keys.sort();
  for (const k of keys) if (!collect((node as Record<string, unknown>)[k], out)) return false;
  return true;
}

/**
 * A tree of the same structure whose leaves are `fn(data, path, leaf)`; shaped leaves keep their
 * shape. `fn` must return an array of the same length.
 */
export function mapTree(tree: Tree, fn: (data: FloatArray, path: string, leaf: Leaf) => FloatArray): Tree {
  const rec = (node: Tree, path: string): Tree => {
    if (isFloatArray(node)) return fn(node, path, node);
    if (isShapedLeaf(node)) return { data: fn(node.data, path, node), shape: [...node.shape] };
    if (Array.isArray(node)) return node.map((child, i) => rec(child, join(path, i)));
    const out: Record<string, Tree> = {};
    for (const key of Object.keys(node).sort()) {
      out[key] = rec((node as Record<string, Tree>)[key]!, join(path, key));
    }
    return out;
  };
  forEachLeaf(tree, () => {}); // validates the whole tree first
  return rec(tree, "");
}

/** Visits the leaves of two trees of the same structure together (checked first). */
export function zipLeaves(
  a: Tree,
  b: Tree,
  fn: (x: FloatArray, y: FloatArray, path: string) => void,
  what = "second tree",
): void {
  assertSameStructure(a, b, { what, dtype: false });
  const fa = flatten(a);
  const fb = leavesOf(b);
  for (let i = 0; i < fa.paths.length; i++) fn(leafData(fa.leaves[i]!), fb[i]!, fa.paths[i]!);
}

/** A tree of the same structure, shapes and dtypes, filled with zeros. */
export function zerosLike(tree: Tree): Tree {
  return mapTree(tree, (d) =>
    d instanceof Float32Array ? new Float32Array(d.length) : new Float64Array(d.length),
  );
}

/** A deep copy of a tree (new arrays, same values). */
export function cloneTree(tree: Tree): Tree {
  return mapTree(tree, (d) => d.slice());
}

/**
 * Describes the first difference between two trees, or returns null when they match: structure
 * (keys, array lengths, leaf vs node), then per leaf the length, the shape when both leaves carry one,
 * and — when `dtype` is set — the element type.
 */
export function structureMismatch(
  a: unknown,
  b: unknown,
  options: {
    /** Also compare the leaves' element types. Default false. */
    dtype?: boolean;
  } = {},
): string | null {
  const rec = (x: unknown, y: unknown, path: string): string | null => {
    const at = `at ${showPath(path)}`;
    if (isLeaf(x)) {
      if (!isLeaf(y)) return `${at}: expected a leaf, got ${describe(y)}`;
      const dx = leafData(x);
      const dy = leafData(y);
      if (dx.length !== dy.length) return `${at}: expected length ${dx.length}, got ${dy.length}`;
      if (options.dtype && dtypeOf(dx) !== dtypeOf(dy)) {
        return `${at}: expected ${dtypeOf(dx)}, got ${dtypeOf(dy)}`;
      }
      if (isShapedLeaf(x) && isShapedLeaf(y) && x.shape.join() !== y.shape.join()) {
        return `${at}: expected shape [${x.shape.join(", ")}], got [${y.shape.join(", ")}]`;
      }
      return null;
    }
    if (Array.isArray(x)) {
      if (!Array.isArray(y)) return `${at}: expected an array, got ${describe(y)}`;
      if (x.length !== y.length) return `${at}: expected an array of length ${x.length}, got ${y.length}`;
      for (let i = 0; i < x.length; i++) {
        const m = rec(x[i], y[i], join(path, i));
        if (m) return m;
      }
      return null;
    }
    if (x !== null && typeof x === "object") {
      if (y === null || typeof y !== "object" || Array.isArray(y) || isLeaf(y)) {
        return `${at}: expected an object, got ${describe(y)}`;
      }
      const kx = Object.keys(x).sort();
      const ky = new Set(Object.keys(y));
      const missing = kx.filter((k) => !ky.has(k));
      const extra = [...ky].filter((k) => !(k in x)).sort();
      if (missing.length || extra.length) {
        const parts = [];
        if (missing.length) parts.push(`missing ${missing.map((k) => `'${k}'`).join(", ")}`);
        if (extra.length) parts.push(`unexpected ${extra.map((k) => `'${k}'`).join(", ")}`);
        return `${at}: keys differ (${parts.join("; ")})`;
      }
      for (const k of kx) {
        const m = rec((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], join(path, k));
        if (m) return m;
      }
      return null;
    }
    return `${at}: ${describe(x)} is not a tree node`;
  };
  return rec(a, b, "");
}

/** Throws a TypeError naming the first mismatching path between `reference` and `candidate`. */
export function assertSameStructure(
  reference: Tree,
  candidate: unknown,
  options: {
    /** What `candidate` is, in the message ("updates", "gradients"…). Default "tree". */
    what?: string;
    /** Also compare the leaves' element types. Default false. */
    dtype?: boolean;
  } = {},
): void {
  if (sameStructure(reference, candidate, options.dtype ?? false)) return;
  const m = structureMismatch(reference, candidate, options);
  if (m) throw new TypeError(`${options.what ?? "tree"} and params differ: ${m}`);
}

/** The fast check behind assertSameStructure: no path strings, no messages. */
function sameStructure(a: unknown, b: unknown, dtype: boolean): boolean {
  if (a === b) return true;
  if (isFloatArray(a) || isShapedLeaf(a)) {
    if (!(isFloatArray(b) || isShapedLeaf(b))) return false;
    const da = leafData(a);
    const db = leafData(b);
    if (da.length !== db.length || (dtype && da.constructor !== db.constructor)) return false;
    if (!(isShapedLeaf(a) && isShapedLeaf(b))) return true;
    if (a.shape.length !== b.shape.length) return false;
    for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameStructure(a[i], b[i], dtype)) return false;
    return true;
  }
  if (a === null || typeof a !== "object" || b === null || typeof b !== "object" || Array.isArray(b))
    return false;
  if (isFloatArray(b) || isShapedLeaf(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!(k in b)) return false;
    if (!sameStructure((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], dtype))
      return false;
  }
  return true;
}

/**
 * Selects leaves: a predicate on (path, leaf), or a tree of booleans shaped like the params, where a
 * boolean may also stand for a whole subtree (a prefix of the params tree).
 */
export type Mask = ((path: string, leaf: Leaf) => boolean) | MaskTree;
/** A mask as a tree of booleans shaped like the params (or a prefix of it): a boolean stands for every leaf below it. */
export type MaskTree = boolean | readonly MaskTree[] | { readonly [key: string]: MaskTree };

/** One boolean per leaf of `params`, in visiting order. */
export function resolveMask(mask: Mask | undefined, params: Tree): boolean[] {
  if (mask === undefined) return flatten(params).leaves.map(() => true);
  if (typeof mask === "function") {
    const { paths, leaves } = flatten(params);
    return paths.map((p, i) => {
      const v = mask(p, leaves[i]!);
      if (typeof v !== "boolean")
        throw new TypeError(`mask function returned ${describe(v)} for ${showPath(p)}`);
      return v;
    });
  }
  const out: boolean[] = [];
  const rec = (m: unknown, node: Tree, path: string): void => {
    if (typeof m === "boolean") {
      forEachLeaf(node, () => {
        out.push(m);
      });
      return;
    }
    if (isLeaf(node))
      throw new TypeError(`mask at ${showPath(path)}: expected a boolean, got ${describe(m)}`);
    if (Array.isArray(node)) {
      if (!Array.isArray(m) || m.length !== node.length) {
        throw new TypeError(
          `mask at ${showPath(path)}: expected a boolean or an array of length ${node.length}`,
        );
      }
      node.forEach((child, i) => {
        rec(m[i], child, join(path, i));
      });
      return;
    }
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      throw new TypeError(`mask at ${showPath(path)}: expected a boolean or an object, got ${describe(m)}`);
    }
    const keys = Object.keys(node).sort();
    const mk = Object.keys(m);
    const extra = mk.filter((k) => !keys.includes(k));
    if (extra.length) throw new TypeError(`mask at ${showPath(path)}: unknown key '${extra[0]}'`);
    for (const k of keys) {
      const sub = (m as Record<string, unknown>)[k];
      if (sub === undefined) throw new TypeError(`mask at ${showPath(join(path, k))}: missing`);
      rec(sub, (node as Record<string, Tree>)[k]!, join(path, k));
    }
  };
  rec(mask, params, "");
  return out;
}
