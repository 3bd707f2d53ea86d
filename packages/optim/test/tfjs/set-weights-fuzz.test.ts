/**
 * A fuzz of `setWeights` (issue #14): random weight lists (random names, dtypes, shapes, values,
 * random JSON in the state words) and random mutations of real saved weight lists (the JSON edited
 * anywhere, bytes flipped, words cut, `iter` changed, entries dropped, doubled, swapped, renamed,
 * retyped), given to optimizers that are fresh, holding a state set before the first step, or bound,
 * on both paths. Each is either accepted, and the next step works, or refused with a clear Error
 * (never a TypeError from inside the code) that changed nothing: variables, state, `iterations`.
 * The counts are printed (FUZZ_SEED=… reproduces a run; FUZZ_RUNS=… runs more than 300 per property).
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import * as m from "momenta-optim";
import { type MomentaOptimizer, tfjsOptimizer } from "momenta-optim/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dictOf,
  INTERNAL,
  type NamedTensor,
  observe,
  savedData,
  stepWith,
  type TwoVars,
  twoVars,
  weightList,
  wordsOf,
} from "./robust-helpers.ts";

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

type Saved = { iter: number; words: number[]; name: string };

let main: TwoVars;
/** Another model's variables, of other shapes. */
let others: tf.Variable[];
/** Real saved weight lists: the recipe's own (both paths), other recipes', another model's, the empty state. */
const real: Record<string, Saved> = {};
const recipe = () => m.adamw({ lr: 0.01, weightDecay: 0.1 });

type Counts = { tried: number; accepted: number; refused: number; internal: number };
const zero = (): Counts => ({ tried: 0, accepted: 0, refused: 0, internal: 0 });
const tally = { "random lists": zero(), "mutated saves": zero() };
let counts: Counts = tally["random lists"];
const refusals = new Map<string, number>();
const internals: string[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
  main = twoVars("fz");
  others = [
    tf.variable(tf.tensor([1, 2, 3, 4]), true, "ot/k"),
    tf.variable(tf.tensor([0.5, -0.5]), true, "ot/z"),
  ];
  const save = async (name: string, tx: m.AnyTransformation, path: "arrays" | "ops", on?: tf.Variable[]) => {
    const opt = tfjsOptimizer(tx, { path });
    for (let t = 0; t < 2; t++) {
      if (on) {
        const g = Object.fromEntries(on.map((v) => [v.name, tf.onesLike(v)]));
        opt.applyGradients(g);
        tf.dispose(Object.values(g));
      } else stepWith(opt, main, t);
    }
    real[name] = await savedData(opt);
    opt.dispose();
  };
  await save("adamw", recipe(), "arrays");
  await save("adamw (ops)", recipe(), "ops");
  await save("adamw, other lr", m.adamw({ lr: 0.5, weightDecay: 0.1 }), "arrays");
  await save("sgd momentum", m.sgd({ lr: 0.1, momentum: 0.9 }), "arrays");
  await save("clip + adam", m.chain(m.clipByGlobalNorm(1), m.adam()), "arrays");
  await save("another model", recipe(), "arrays", others);
  const blank = tfjsOptimizer(recipe());
  real.empty = await savedData(blank);
  blank.dispose();
});

afterAll(() => {
  const top = [...refusals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [what, c] of Object.entries(tally)) {
    console.log(
      `setWeights fuzz, ${what} (seed ${SEED}): ${c.tried} tried, ${c.accepted} accepted (the next step worked), ${c.refused} refused with a clear error and nothing changed, ${c.internal} internal errors`,
    );
  }
  console.log(`most frequent refusals:\n${top.map(([k, n]) => `  ${n} × ${k}`).join("\n")}`);
  if (internals.length > 0) console.log(`internal errors:\n${internals.join("\n")}`);
  main?.dispose();
  tf.dispose(others);
});

// ---- weight lists from descriptions (tensors are made per run, after the optimizer is set up)

type TensorSpec = { dtype: "float32" | "int32" | "bool"; shape: number[]; values: number[] };
type EntrySpec = { name: string; tensor: TensorSpec } | { name: string } | { junk: unknown };
type ListSpec = { list: EntrySpec[] } | { notAList: unknown };

function makeTensor(s: TensorSpec): tf.Tensor {
  const size = s.shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: size }, (_, i) => (s.values.length ? s.values[i % s.values.length]! : 0));
  if (s.dtype === "bool")
    return tf.tensor(
      vals.map((v) => v > 0),
      s.shape,
      "bool",
    );
  if (s.dtype === "int32")
    return tf.tensor(
      vals.map((v) => (Number.isFinite(v) ? v | 0 : 0)),
      s.shape,
      "int32",
    );
  return tf.tensor(vals, s.shape, "float32");
}

function makeList(spec: ListSpec): unknown {
  if ("notAList" in spec) return spec.notAList;
  return spec.list.map((e) => {
    if ("junk" in e) return e.junk;
    if ("tensor" in e) return { name: e.name, tensor: makeTensor(e.tensor) };
    return { name: e.name };
  });
}

const names = fc.oneof(
  fc.constantFrom("iter", "momenta/state", "x/state", "", "fz/w", "ot/k", "__proto__", "toString", "state"),
  fc.string({ maxLength: 8 }),
);
const tensorSpec = fc.record({
  dtype: fc.constantFrom("float32", "int32", "bool") as fc.Arbitrary<TensorSpec["dtype"]>,
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
  values: fc.array(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double()), {
    maxLength: 6,
  }),
});
const junk = fc.oneof(
  fc.constantFrom(null, undefined, 3, "iter", {}, [], Number.NaN),
  fc.jsonValue({ maxDepth: 1 }),
);
const entrySpec: fc.Arbitrary<EntrySpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: names, tensor: tensorSpec }) },
  { weight: 1, arbitrary: fc.record({ name: names }) },
  { weight: 1, arbitrary: fc.record({ junk }) },
);
/** Random lists, and lists shaped like a save whose state words hold random JSON or random dicts. */
const randomDict = fc.record(
  {
    format: fc.oneof(fc.constant("momenta.optimizer"), fc.jsonValue({ maxDepth: 0 })),
    version: fc.oneof(fc.constantFrom(1, 2, 3), fc.jsonValue({ maxDepth: 0 })),
    step: fc.oneof(fc.integer({ min: -3, max: 10 }), fc.double(), fc.jsonValue({ maxDepth: 0 })),
    paths: fc.oneof(
      fc.constant(["fz/b", "fz/w"]),
      fc.constant(["ot/k", "ot/z"]),
      fc.array(names, { maxLength: 3 }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    hyperparams: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    state: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);
const listSpec: fc.Arbitrary<{ spec: ListSpec; words?: unknown; iter?: number }> = fc.oneof(
  fc.record({ spec: fc.array(entrySpec, { maxLength: 4 }).map((list) => ({ list }) as ListSpec) }),
  fc.record({ spec: junk.map((notAList) => ({ notAList }) as ListSpec) }),
  fc.record({
    spec: fc.constant({ list: [] } as ListSpec),
    words: fc.oneof(fc.jsonValue({ maxDepth: 3 }), randomDict),
    iter: fc.integer({ min: 0, max: 20 }),
  }),
);

// ---- mutations of a real save

type Mutation =
  | { kind: "json"; at: number[]; op: "delete" | "replace" | "add"; value: unknown }
  | { kind: "leaf"; pick: number; number: number; floats: number[] }
  | { kind: "byte"; index: number; value: number }
  | { kind: "cut"; keep: number }
  | { kind: "append"; words: number[] }
  | { kind: "iter"; value: number; dtype: "int32" | "float32" }
  | { kind: "list"; op: "drop0" | "drop1" | "double" | "swap" | "rename0" | "rename1"; name: string }
  | { kind: "retype"; which: 0 | 1; dtype: "float32" | "bool"; shape?: number[] };

const floats = fc.array(fc.oneof(fc.float(), fc.constantFrom(-1, 0, Number.NaN, Number.POSITIVE_INFINITY)), {
  maxLength: 8,
});
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1e40, 2 ** 53, 0.5, { $num: "NaN" }, { $num: "Infinity" }, { $num: "1" }),
  floats.map((xs) => ({ $f32: m.floatsToBase64(Float32Array.from(xs)) })),
  floats.map((xs) => ({ $f64: m.floatsToBase64(Float64Array.from(xs)) })),
  fc.constantFrom("fz/w_3", "fz/b", "ot/k", "v1/w"),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("leaf" as const),
      pick: fc.nat(),
      number: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.double(), fc.constantFrom(2 ** 53 - 1, 2 ** 53)),
      floats: fc.array(fc.oneof(fc.float(), fc.constantFrom(-1, Number.NaN, Number.POSITIVE_INFINITY)), {
        minLength: 1,
        maxLength: 4,
      }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("json" as const),
      at: fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
      op: fc.constantFrom("delete", "replace", "add") as fc.Arbitrary<"delete" | "replace" | "add">,
      value: replacement,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("byte" as const),
      index: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cut" as const), keep: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      words: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("iter" as const),
      value: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double()),
      dtype: fc.constantFrom("int32", "float32") as fc.Arbitrary<"int32" | "float32">,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("list" as const),
      op: fc.constantFrom("drop0", "drop1", "double", "swap", "rename0", "rename1") as fc.Arbitrary<
        "drop0" | "drop1" | "double" | "swap" | "rename0" | "rename1"
      >,
      name: names,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("retype" as const),
      which: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
      dtype: fc.constantFrom("float32", "bool") as fc.Arbitrary<"float32" | "bool">,
    }),
  },
);

/** Edits the JSON at a path chosen by `at` (each number picks a key or index, modulo their count). */
function editJson(root: unknown, at: number[], op: "delete" | "replace" | "add", value: unknown): unknown {
  if (root === null || typeof root !== "object") return op === "delete" ? {} : value;
  let node = root as Record<string, unknown> | unknown[];
  for (let d = 0; d < at.length; d++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[at[d]! % keys.length]!;
    const child = (node as Record<string, unknown>)[key];
    const last = d === at.length - 1 || child === null || typeof child !== "object";
    if (last) {
      if (op === "delete") {
        if (Array.isArray(node)) node.splice(Number(key), 1);
        else delete node[key];
      } else if (op === "replace") (node as Record<string, unknown>)[key] = value;
      else if (Array.isArray(node)) node.push(value);
      else node[`k${at.length}`] = value;
      return root;
    }
    node = child as Record<string, unknown>;
  }
  return root;
}

/**
 * Replaces one leaf of the dict (chosen by `pick` among its numbers and float arrays) with a value of
 * the same kind: a number, or a float array of the same length (its elements drawn from `floats`).
 */
function editLeaf(root: unknown, mu: Extract<Mutation, { kind: "leaf" }>): void {
  const leaves: [Record<string, unknown>, string][] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === "number" || (v !== null && typeof v === "object" && ("$f32" in v || "$f64" in v)))
        leaves.push([node as Record<string, unknown>, k]);
      else visit(v);
    }
  };
  visit(root);
  if (leaves.length === 0) return;
  const [parent, key] = leaves[mu.pick % leaves.length]!;
  const v = parent[key];
  if (typeof v === "number") parent[key] = mu.number;
  else {
    const tag = "$f32" in (v as object) ? "$f32" : "$f64";
    const dtype = tag === "$f32" ? "float32" : "float64";
    let length = mu.floats.length;
    try {
      length = m.base64ToFloats((v as Record<string, string>)[tag]!, dtype).length;
    } catch {
      // not base64 (an earlier mutation): any length will do
    }
    const values = Array.from({ length }, (_, i) => mu.floats[i % mu.floats.length]!);
    const next = dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
    parent[key] = { [tag]: m.floatsToBase64(next) };
  }
}

function mutate(saved: Saved, ms: Mutation[]): unknown {
  let iter: { value: number; dtype: "int32" | "float32" } = { value: saved.iter, dtype: "int32" };
  let words = saved.words.slice();
  const listOps: Mutation[] = [];
  for (const mu of ms) {
    if (mu.kind === "leaf") {
      const dict = (() => {
        try {
          return dictOf(words);
        } catch {
          return undefined;
        }
      })();
      if (dict === undefined) continue;
      editLeaf(dict, mu);
      words = wordsOf(dict);
    } else if (mu.kind === "json") {
      let dict: unknown;
      try {
        dict = dictOf(words) ?? {};
      } catch {
        continue; // the words are no longer JSON (an earlier mutation): nothing to edit
      }
      words = wordsOf(editJson(dict, mu.at, mu.op, structuredClone(mu.value)));
    } else if (mu.kind === "byte") {
      if (words.length === 0) continue;
      const bytes = new Uint8Array(Int32Array.from(words).buffer);
      bytes[mu.index % bytes.length] = mu.value;
      words = Array.from(new Int32Array(bytes.buffer));
    } else if (mu.kind === "cut") words = words.slice(0, mu.keep % (words.length + 1));
    else if (mu.kind === "append") words = [...words, ...mu.words];
    else if (mu.kind === "iter") iter = { value: mu.value, dtype: mu.dtype };
    else listOps.push(mu);
  }
  const list: NamedTensor[] = [
    { name: "iter", tensor: tf.scalar(iter.value, iter.dtype) },
    { name: saved.name, tensor: tf.tensor1d(words, "int32") },
  ];
  for (const mu of listOps) {
    if (mu.kind === "list") {
      if (mu.op === "drop0") list.shift();
      else if (mu.op === "drop1") list.splice(1, 1);
      else if (mu.op === "double" && list.length > 0)
        list.push({ name: list[0]!.name, tensor: list[0]!.tensor.clone() });
      else if (mu.op === "swap") list.reverse();
      else if (mu.op === "rename0" && list[0]) list[0] = { ...list[0], name: mu.name };
      else if (mu.op === "rename1" && list[1]) list[1] = { ...list[1], name: mu.name };
    } else if (mu.kind === "retype" && list[mu.which]) {
      const old = list[mu.which]!.tensor;
      list[mu.which] = { name: list[mu.which]!.name, tensor: tf.cast(old, mu.dtype) };
      old.dispose();
    }
  }
  return list;
}

// ---- the property

type Start = "fresh" | "pending" | "bound";

/** The variables a saved state names (as the adapter matches them: exactly, or up to a `_1` suffix). */
function variablesFor(paths: unknown): tf.Variable[] {
  const all = tf.engine().registeredVariables;
  const base = (n: string) => n.replace(/_\d+$/, "");
  if (!Array.isArray(paths)) return main.vars;
  return paths.map((p: string) => all[p] ?? Object.values(all).find((v) => base(v.name) === base(p))!);
}

async function check(start: Start, path: "arrays" | "ops", make: () => unknown): Promise<void> {
  const opt = tfjsOptimizer(recipe(), { path }) as MomentaOptimizer;
  if (start === "pending") {
    const w = weightList(real.adamw!.iter, real.adamw!.words);
    await opt.setWeights(w);
    tf.dispose(w.map((x) => x.tensor));
  } else if (start === "bound") stepWith(opt, main, 9);
  const everything = [...main.vars, ...others];
  const before = await observe(opt, everything);
  const weights = make();
  counts.tried++;
  let error: unknown;
  try {
    await opt.setWeights(weights as NamedTensor[]);
  } catch (e) {
    error = e;
  }
  try {
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof Error) || INTERNAL.test(message) || !/^tfjsOptimizer: /.test(message)) {
        counts.internal++;
        internals.push(`  ${start}/${path}: ${message}`);
        throw new Error(`not a clear error: ${message}`);
      }
      counts.refused++;
      const kind = message
        .replace(/^tfjsOptimizer: setWeights: /, "")
        .replace(/[0-9]+/g, "N")
        .replace(/'[^']*'/g, "'…'")
        .replace(/".*"/g, '"…"')
        .slice(0, 90);
      refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
      expect(await observe(opt, everything)).toEqual(before);
    } else {
      counts.accepted++;
      const iterations = opt.iterations;
      const paths = opt.path ? undefined : dictOf((await opt.getWeights())[1]!.tensor.dataSync())?.paths;
      const vars = opt.path || paths === undefined ? main.vars : variablesFor(paths);
      const g = Object.fromEntries(vars.map((v) => [v.name, tf.onesLike(v)]));
      try {
        opt.applyGradients(g);
      } finally {
        tf.dispose(Object.values(g));
      }
      expect(opt.iterations).toBe(iterations + 1);
    }
  } finally {
    opt.dispose();
    if (Array.isArray(weights)) {
      const tensors = weights.map((w) => (w as { tensor?: unknown } | null)?.tensor);
      tf.dispose(tensors.filter((t) => t instanceof tf.Tensor) as tf.Tensor[]);
    }
  }
}

const starts = fc.constantFrom("fresh", "pending", "bound") as fc.Arbitrary<Start>;
const paths = fc.constantFrom("arrays", "ops") as fc.Arbitrary<"arrays" | "ops">;

describe("setWeights fuzz", () => {
  it("random weight lists: accepted and the next step works, or a clear error and nothing changed", async () => {
    counts = tally["random lists"];
    await fc.assert(
      fc.asyncProperty(starts, paths, listSpec, async (start, path, { spec, words, iter }) => {
        await check(start, path, () =>
          words === undefined ? makeList(spec) : weightList(iter ?? 0, wordsOf(words)),
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("mutations of real saved weight lists: the same", async () => {
    counts = tally["mutated saves"];
    const sources = Object.keys(real);
    await fc.assert(
      fc.asyncProperty(
        starts,
        paths,
        fc.constantFrom(...sources),
        fc.oneof(
          // values only (numbers, float arrays): many are accepted, and must then train
          fc.array(
            mutation.filter((mu) => mu.kind === "leaf" || mu.kind === "iter"),
            { minLength: 1, maxLength: 3 },
          ),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
        ),
        async (start, path, source, ms) => {
          await check(start, path, () => mutate(real[source]!, ms));
        },
      ),
      { numRuns: RUNS, seed: SEED + 1 },
    );
  });

  it("the unmutated saves: each accepted or refused as expected", async () => {
    for (const [source, saved] of Object.entries(real)) {
      const opt = tfjsOptimizer(recipe());
      const w = weightList(saved.iter, saved.words, saved.name);
      const accepted = await opt.setWeights(w).then(
        () => true,
        () => false,
      );
      tf.dispose(w.map((x) => x.tensor));
      expect(accepted, source).toBe(!["sgd momentum", "clip + adam"].includes(source));
      opt.dispose();
    }
  });
});
