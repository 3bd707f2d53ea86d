import { showValue } from "../hyper.js";
import type { AnyTransformation, Config, GradientTransformation, Hyperparams } from "../transform.js";
import {
  type FloatArray,
  flatten,
  isLeaf,
  type Leaf,
  leafData,
  leavesOf,
  showPath,
  type Tree,
} from "../tree.js";

/** A label per leaf: a function of (path, leaf), or a tree of labels shaped like the params (a label may stand for a subtree). */
export type Labels = ((path: string, leaf: Leaf) => string) | LabelTree;
/** Labels as a tree shaped like the params (or a prefix of it): a string stands for every leaf below it. */
export type LabelTree = string | readonly LabelTree[] | { readonly [key: string]: LabelTree };

/** State of `partition`: each label's transform's state, by label. */
export type PartitionState = Record<string, unknown>;

function labelsFor(owner: string, labels: Labels, params: Tree): string[] {
  const { paths, leaves } = flatten(params);
  if (typeof labels === "function") {
    return paths.map((p, i) => {
      const l = labels(p, leaves[i]!);
      if (typeof l !== "string")
        throw new TypeError(
          `${owner}: the labels function gave ${showValue(l)} for ${showPath(p)}, not a label`,
        );
      return l;
    });
  }
  return paths.map((p) => {
    let node: unknown = labels;
    for (const key of p === "" ? [] : p.split(".")) {
      if (typeof node === "string") break;
      if (node === null || typeof node !== "object" || isLeaf(node)) break;
      node = (node as Record<string, unknown>)[key];
    }
    if (typeof node !== "string") throw new TypeError(`${owner}: no label for ${showPath(p)}`);
    return node;
  });
}

/**
 * Different transforms for different leaves — PyTorch's param groups, Optax's `multi_transform`.
 * Each transform sees only its own leaves, as an object keyed by their full paths (so masks by path
 * keep working inside it), and keeps its own state and count.
 */
export function partition(
  transforms: Readonly<Record<string, AnyTransformation>>,
  labels: Labels,
): GradientTransformation<PartitionState> {
  const owner = "partition";
  if (transforms === null || typeof transforms !== "object" || Array.isArray(transforms)) {
    throw new TypeError(
      `${owner}: transforms must be an object of labelled transforms, got ${showValue(transforms)}`,
    );
  }
  if (
    typeof labels !== "function" &&
    typeof labels !== "string" &&
    (labels === null || typeof labels !== "object")
  ) {
    throw new TypeError(
      `${owner}: labels must be a function (path, leaf) => label or a tree of labels, got ${showValue(labels)}`,
    );
  }
  const names = Object.keys(transforms).sort();
  if (names.length === 0) throw new TypeError(`${owner}: give at least one labelled transform`);
  for (const n of names) {
    // the labels are the state's keys: a state dict could not hold these
    if (n === "__proto__" || n.startsWith("$")) throw new RangeError(`${owner}: '${n}' cannot be a label`);
  }
  for (const n of names) {
    const t = transforms[n];
    if (!t || typeof t.init !== "function" || typeof t.update !== "function") {
      throw new TypeError(`${owner}: '${n}' is not a gradient transformation`);
    }
    if (typeof t.updateWithClosure === "function")
      throw new TypeError(
        `${owner}: '${n}' is a closure transform (L-BFGS, SAM): it evaluates the objective over all the params, not a group`,
      );
  }
  const groups = (tree: Tree, params: Tree) => {
    const ls = labelsFor(owner, labels, params);
    const { paths, leaves } = flatten(tree);
    const out: Record<string, Record<string, Leaf>> = Object.fromEntries(names.map((n) => [n, {}]));
    ls.forEach((l, i) => {
      const g = Object.hasOwn(out, l) ? out[l] : undefined;
      if (!g)
        throw new TypeError(
          `${owner}: ${showPath(paths[i]!)} is labelled '${l}', which has no transform (have: ${names.join(", ")})`,
        );
      g[paths[i]!] = leaves[i]!;
    });
    return out;
  };
  return {
    hyperparams(state): Hyperparams | undefined {
      for (const n of names) {
        const view = transforms[n]!.hyperparams?.(state[n]);
        if (view) return view;
      }
      return undefined;
    },
    config(state) {
      const out: Config = {};
      for (const n of names) {
        for (const [k, v] of Object.entries(transforms[n]!.config?.(state[n]) ?? {})) out[`${n}.${k}`] = v;
      }
      return out;
    },
    checkState(state) {
      for (const n of names) transforms[n]!.checkState?.(state[n]);
    },
    buffers(state, params) {
      // Each label's transform lists its own leaves; spread back to the whole tree's leaf order, a
      // leaf of another label getting an empty array (labels sharing a name share its list).
      const leaves = leavesOf(params);
      const ls = labelsFor(owner, labels, params);
      const gp = groups(params, params);
      const views = Object.fromEntries(
        names.map((n) => [n, transforms[n]!.buffers?.(state[n], gp[n]!) ?? {}]),
      );
      const out: Record<string, FloatArray[]> = {};
      for (const n of names)
        for (const k of Object.keys(views[n]!))
          out[k] ??= leaves.map((l) =>
            l instanceof Float32Array ? new Float32Array(0) : new Float64Array(0),
          );
      const seen: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
      ls.forEach((n, i) => {
        const j = seen[n]!++;
        for (const [k, list] of Object.entries(views[n]!)) out[k]![i] = list[j]!;
      });
      return out;
    },
    init(params) {
      const g = groups(params, params);
      return Object.fromEntries(names.map((n) => [n, transforms[n]!.init(g[n]!)]));
    },
    update(updates, state, params) {
      if (params === undefined) throw new TypeError(`${owner}: needs params to find each leaf's label`);
      const gu = groups(updates, params);
      const gp = groups(params, params);
      for (const n of names) {
        const sub = gu[n]!;
        const out = transforms[n]!.update(sub, state[n], gp[n]!);
        // A transform may return new arrays; write them back into the caller's updates.
        const result = leavesOf(out);
        Object.values(sub).forEach((leaf, i) => {
          const d = leafData(leaf);
          if (result[i] !== d) d.set(result[i]!);
        });
      }
      return updates;
    },
  };
}
