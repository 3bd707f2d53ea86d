/**
 * `loadStateDict`, fuzzed (issue #14): random mutations of a real state dict — keys deleted or added,
 * values replaced by wrong types, huge numbers, NaN and ±Infinity, tags swapped, base64 damaged,
 * arrays shortened or lengthened, the header (format, version, step, paths) edited — must either
 * load or be refused with a clear `loadStateDict: …` RangeError/TypeError that changed nothing:
 * `stateDict()`, the params' bytes and `stepCount` are compared before and after every refusal.
 * A load that succeeds must leave an optimizer whose `stateDict()` is still JSON-safe and whose step
 * count is the one loaded. The same for `reduceLrOnPlateau`'s scheduler. Counts are printed.
 */
import fc from "fast-check";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";

const SEED = Number(process.env.FUZZ_SEED ?? 20240614);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);

const params = (): m.Tree => ({
  w: { data: Float32Array.from([0.5, -1, 2, 0.25, 1, -0.5]), shape: [2, 3] },
  b: Float64Array.from([0.1, -0.2, 0.3]),
});
const grads = (p: m.Tree, k: number): m.Tree => m.mapTree(p, (d) => d.map((_, i) => ((i + k) % 3) - 0.9));

/** Optimizers whose state covers every kind of value a state dict holds. */
const RECIPES: Record<string, () => m.AnyTransformation> = {
  "adamw amsgrad (fused)": () => m.adamw({ amsgrad: true, weightDecay: 0.1 }),
  "sgd, scheduled lr": () => m.sgd({ lr: m.cosineAnnealingLr({ lr: 0.1, tMax: 10 }), momentum: 0.9 }),
  injectHyperparams: () =>
    m.injectHyperparams(m.adamw, {
      lr: m.warmupCosineDecay({ peak: 1e-2, warmupSteps: 2, decaySteps: 10 }),
      weightDecay: 0.05,
      betas: [0.9, 0.99],
    }),
  "observe with v-scars": () => m.observe(m.adam(), () => {}, { every: 1, vScar: true }),
  "skipNonFinite(lookahead(accumulateGradients(radam)))": () =>
    m.skipNonFinite(m.lookahead(m.accumulateGradients(m.radam(), 2), { k: 2 })),
  scheduleFreeAdamw: () => m.scheduleFreeAdamw({ warmupSteps: 2 }),
  adafactor: () => m.adafactor(),
  muon: () => m.muon(),
  "clipByGlobalNorm → nadam": () => m.chain(m.clipByGlobalNorm(1), m.nadam({ decoupledWeightDecay: true })),
  "ema(rmsprop centered)": () => m.ema(m.rmsprop({ centered: true, momentum: 0.9 })),
  "partition: adagrad | lion": () => m.partition({ a: m.adagrad(), l: m.lion() }, { w: "a", b: "l" }),
  "partition: adadelta | lamb": () => m.partition({ d: m.adadelta(), l: m.lamb() }, { w: "l", b: "d" }),
  "adamw, bfloat16 state": () => m.adamw({ stateDtype: "bfloat16", amsgrad: true }),
  "partition: lion int8 | rmsprop bfloat16": () =>
    m.partition(
      { l: m.lion({ stateDtype: "int8" }), r: m.rmsprop({ momentum: 0.9, stateDtype: "bfloat16" }) },
      { w: "l", b: "r" },
    ),
};

// ---- mutations -------------------------------------------------------------------------------------------

type Json = unknown;

const WRONG: (() => unknown)[] = [
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => Number.NEGATIVE_INFINITY,
  () => -1,
  () => -0,
  () => 0.5,
  () => 1e308,
  () => 2 ** 53,
  () => 2 ** 53 - 1,
  () => 3,
  () => "x",
  () => "",
  () => "3",
  () => null,
  () => undefined,
  () => true,
  () => [],
  () => [1, 2],
  () => ({}),
  () => ({ a: 1 }),
  () => ({ $num: "NaN" }),
  () => ({ $num: "Infinity" }),
  () => ({ $num: "-Infinity" }),
  () => ({ $num: "foo" }),
  () => ({ $num: 5 }),
  () => ({ $num: "1" }),
  () => ({ $f32: "AAAA" }),
  () => ({ $f64: "AAAAAAAAAAA=" }),
  () => ({ $f32: "!!!!" }),
  () => ({ $f32: 5 }),
  () => ({ $f64: "AAAAAAAAAAA=", extra: 1 }),
  () => Object.create(null),
  () => Symbol("state"),
  () => 10n,
  () => () => 1,
  () => new Float64Array(3),
];

/** Every (parent, key) of a JSON tree, root excluded. */
function slots(root: Json): { parent: Record<string | number, Json>; key: string | number }[] {
  const out: { parent: Record<string | number, Json>; key: string | number }[] = [];
  const walk = (node: Json) => {
    if (node === null || typeof node !== "object" || ArrayBuffer.isView(node)) return;
    const entries = Array.isArray(node) ? node.map((v, i) => [i, v] as const) : Object.entries(node);
    for (const [k, v] of entries) {
      out.push({ parent: node as Record<string | number, Json>, key: k });
      walk(v);
    }
  };
  walk(root);
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** One mutation, described by random numbers (so that fast-check can shrink it). */
type Mutation = { op: number; at: number; pick: number; char: number };
const mutation = fc.record({
  op: fc.integer({ min: 0, max: 11 }),
  at: fc.nat(),
  pick: fc.nat(),
  char: fc.nat({ max: 64 }),
});

function mutate(dict: Json, mu: Mutation): string {
  const all = slots(dict);
  if (all.length === 0) return "nothing";
  const { parent, key } = all[mu.at % all.length]!;
  const value = parent[key];
  const set = (v: unknown) => {
    Object.defineProperty(parent, key, { value: v, enumerable: true, writable: true, configurable: true });
  };
  switch (mu.op) {
    case 0: // delete (an array entry is removed, shortening the array)
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      return `delete ${String(key)}`;
    case 1:
    case 2: {
      const v = WRONG[mu.pick % WRONG.length]!();
      set(v);
      return `${String(key)} = ${fc.stringify(v)}`;
    }
    case 3: // an unexpected key
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const k = ["extra", "$f32", "__proto__", "count", "inner"][mu.pick % 5]!;
        Object.defineProperty(value, k, { value: 0, enumerable: true, writable: true, configurable: true });
        return `add ${k} to ${String(key)}`;
      }
      set(WRONG[mu.pick % WRONG.length]!());
      return `${String(key)} replaced`;
    case 4: // swap the dtype tag
      if (value !== null && typeof value === "object" && ("$f32" in value || "$f64" in value)) {
        const o = value as Record<string, string>;
        set("$f32" in o ? { $f64: o.$f32 } : { $f32: o.$f64 });
        return `swap tag of ${String(key)}`;
      }
      return "nothing";
    case 5: // damage base64: one character changed (often still valid: another value)
      if (typeof value === "string" && value.length > 0) {
        const i = mu.pick % value.length;
        const c = mu.char === 64 ? "!" : B64[mu.char]!;
        set(value.slice(0, i) + c + value.slice(i + 1));
        return `${String(key)}[${i}] = ${c}`;
      }
      return "nothing";
    case 6: // base64 shortened or lengthened by a whole quantum
      if (typeof value === "string") {
        set(mu.pick % 2 ? value.slice(0, -4) : `${value}AAAA`);
        return `${String(key)} resized`;
      }
      return "nothing";
    case 7: // array length
      if (Array.isArray(value)) {
        if (mu.pick % 2) value.pop();
        else value.push(structuredClone(value[value.length - 1] ?? 0));
        return `${String(key)} length ${value.length}`;
      }
      return "nothing";
    case 8: // numbers: sign, scale, non-finite
      if (typeof value === "number") {
        const v = [-value, value + 0.5, value * 1e300, Number.NaN, value + 1][mu.pick % 5]!;
        set(v);
        return `${String(key)} = ${v}`;
      }
      return "nothing";
    case 9: {
      // the header
      const d = dict as Record<string, unknown>;
      const edits: [string, unknown][] = [
        ["version", 1],
        ["version", 3],
        ["version", "2"],
        ["format", "momenta.other"],
        ["step", -1],
        ["step", 1.5],
        ["step", 2 ** 53],
        ["step", "3"],
        ["step", 7],
        ["paths", ["b", "w"]],
        ["paths", ["b"]],
        ["paths", [Symbol("p"), 10n]],
        ["paths", [Object.create(null), "w"]],
        ["hyperparams", { lr: { $num: "NaN" } }],
        ["hyperparams", { lr: [1] }],
        ["hyperparams", {}],
      ];
      const [k, v] = edits[mu.pick % edits.length]!;
      d[k] = v;
      return `${k} = ${fc.stringify(v)}`;
    }
    case 10: {
      // version 1: no hyperparams (loads when nothing else is wrong)
      const d = dict as Record<string, unknown>;
      d.version = 1;
      if (mu.pick % 2) delete d.hyperparams;
      return "version 1";
    }
    default: // the whole state replaced
      (dict as Record<string, unknown>).state = WRONG[mu.pick % WRONG.length]!();
      return "state replaced";
  }
}

// ---- the check -------------------------------------------------------------------------------------------

const INTERNAL =
  /Cannot read propert|Cannot set propert|Cannot convert|Cannot destructure|is not a function|is not iterable|of undefined|of null|Maximum call stack|Invalid typed array length|Invalid array length|serialize a BigInt|\[object /;

interface Tally {
  tried: number;
  loaded: number;
  refused: number;
  problems: string[];
}

function bytes(p: m.Tree): string {
  return m
    .leavesOf(p)
    .map((d) => m.floatsToBase64(d))
    .join("|");
}

function loadOne(opt: m.OptimizerHandle<unknown>, dict: Json, strict: boolean, what: string, t: Tally): void {
  t.tried += 1;
  const before = { state: JSON.stringify(opt.stateDict()), params: bytes(opt.params), step: opt.stepCount };
  try {
    opt.loadStateDict(dict, { strict });
  } catch (e) {
    t.refused += 1;
    const msg = (e as Error)?.message ?? String(e);
    if (
      !(e instanceof TypeError || e instanceof RangeError) ||
      !msg.startsWith("loadStateDict: ") ||
      INTERNAL.test(msg)
    )
      t.problems.push(`${what}: refused unclearly: ${(e as Error)?.name}: ${msg}`);
    const after = { state: JSON.stringify(opt.stateDict()), params: bytes(opt.params), step: opt.stepCount };
    if (after.state !== before.state) t.problems.push(`${what}: refused but the state changed (${msg})`);
    if (after.params !== before.params) t.problems.push(`${what}: refused but the params changed`);
    if (after.step !== before.step) t.problems.push(`${what}: refused but stepCount changed`);
    return;
  }
  t.loaded += 1;
  if (process.env.FUZZ_DEBUG) console.log(`loaded: ${what}`);
  try {
    JSON.stringify(opt.stateDict());
  } catch (e) {
    t.problems.push(`${what}: loaded, then stateDict() threw ${(e as Error).message}`);
  }
  const step = (dict as { step?: unknown }).step;
  if (opt.stepCount !== step)
    t.problems.push(`${what}: loaded step ${String(step)} but stepCount is ${opt.stepCount}`);
}

describe("loadStateDict loads a state dict or refuses it cleanly, changing nothing", () => {
  const totals: Tally = { tried: 0, loaded: 0, refused: 0, problems: [] };
  const rows: string[] = [];
  let offset = 0;

  for (const [name, make] of Object.entries(RECIPES)) {
    it(name, () => {
      const p = params();
      const opt = m.createOptimizer(make(), p);
      for (let k = 0; k < 3; k++) opt.step(grads(p, k));
      const saved = JSON.parse(JSON.stringify(opt.stateDict())) as Json;
      const t: Tally = { tried: 0, loaded: 0, refused: 0, problems: [] };
      // the dict as saved loads, also after a JSON round trip
      loadOne(opt, structuredClone(saved), true, "as saved", t);
      expect(t.loaded).toBe(1);
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (mus, strict) => {
          const dict = structuredClone(saved);
          const what = mus.map((mu) => mutate(dict, mu)).join("; ");
          loadOne(opt, dict, strict, `${name}: ${what}`, t);
          // put the optimizer back where every mutation starts from (a load may have succeeded)
          opt.loadStateDict(structuredClone(saved));
        }),
        { numRuns: Math.round(300 * RUNS), seed: SEED + offset++ },
      );
      totals.tried += t.tried;
      totals.loaded += t.loaded;
      totals.refused += t.refused;
      totals.problems.push(...t.problems);
      rows.push(
        `${name.padEnd(52)} ${String(t.tried).padStart(5)} ${String(t.loaded).padStart(5)} ${String(t.refused).padStart(5)} ${t.problems.length}`,
      );
      expect(t.problems.slice(0, 10)).toEqual([]);
    });
  }

  it("reduceLrOnPlateau's scheduler", () => {
    const s = m.reduceLrOnPlateau({ lr: 0.1, patience: 1 });
    for (const metric of [1, 1, 1, 0.5]) s.step(metric);
    const saved = JSON.parse(JSON.stringify(s.stateDict())) as Json;
    const t: Tally = { tried: 0, loaded: 0, refused: 0, problems: [] };
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 2 }), (mus) => {
        const dict = { state: structuredClone(saved) };
        const what = mus.map((mu) => mutate(dict, { ...mu, op: mu.op % 9 })).join("; ");
        t.tried += 1;
        const before = JSON.stringify(s.stateDict());
        try {
          s.loadStateDict(dict.state);
          t.loaded += 1;
        } catch (e) {
          t.refused += 1;
          const msg = (e as Error)?.message ?? String(e);
          if (
            !(e instanceof TypeError || e instanceof RangeError) ||
            !msg.startsWith("reduceLrOnPlateau") ||
            INTERNAL.test(msg)
          )
            t.problems.push(`plateau: ${what}: refused unclearly: ${msg}`);
          if (JSON.stringify(s.stateDict()) !== before)
            t.problems.push(`plateau: ${what}: refused but changed`);
        }
        s.loadStateDict(structuredClone(saved));
      }),
      { numRuns: Math.round(300 * RUNS), seed: SEED + 100 },
    );
    totals.tried += t.tried;
    totals.loaded += t.loaded;
    totals.refused += t.refused;
    totals.problems.push(...t.problems);
    rows.push(
      `${"reduceLrOnPlateau".padEnd(52)} ${String(t.tried).padStart(5)} ${String(t.loaded).padStart(5)} ${String(t.refused).padStart(5)} ${t.problems.length}`,
    );
    expect(t.problems.slice(0, 10)).toEqual([]);
  });

  it("the counts", () => {
    console.log(
      [
        `loadStateDict fuzz (seed ${SEED}): ${totals.tried} state dicts tried, ${totals.loaded} loaded, ${totals.refused} refused cleanly with nothing changed, ${totals.problems.length} problems`,
        `${"optimizer".padEnd(52)} tried loaded refused problems`,
        ...rows,
      ].join("\n"),
    );
    expect(totals.problems.length).toBe(0);
  });
});
