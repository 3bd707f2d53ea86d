/**
 * Every public constructor, fuzzed (issue #14). Random options — unknown names (PyTorch's snake_case
 * spellings of real ones and near misses included), null, NaN, ±Infinity, negative and huge numbers,
 * strings, arrays, nested objects, functions, symbols, BigInts — and random positional arguments
 * must either build something that then works (a transform steps a small params tree twice and its
 * state dict loads back; a schedule gives numbers; a curvature estimate runs) or be refused with a
 * RangeError or TypeError whose message names the constructor (`owner: …`) — never an internal error
 * ("Cannot read properties of undefined", "is not a function", "is not iterable"…).
 *
 * The constructors are enumerated from the modules' exports: an exported function that is neither
 * fuzzed here nor exempted (with the reason) fails the suite. Seeds are fixed (FUZZ_SEED overrides,
 * FUZZ_RUNS scales the runs); the counts are printed for the record.
 */
import fc from "fast-check";
import * as m from "momenta-optim";
import * as nodeEntry from "momenta-optim/node";
import * as tfjsEntry from "momenta-optim/tfjs";
import { describe, expect, it } from "vitest";
import { anyValue, numberArg, objectOf, optionsOf, snake, transformArg } from "./values.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20240614);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);

/** What an entry is given to build and what it does with the result. */
interface Entry {
  /** Calls the constructor. */
  call: (...args: unknown[]) => unknown;
  /** The arguments, given an arbitrary of options objects for this constructor. */
  args: (options: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown[]>;
  /** Calls the constructor with valid other arguments and these options (absent: no options object). */
  probe?: (options: unknown) => unknown;
  /** Valid options (the required ones) that the fuzz changes a key or two of. Default {}. */
  base?: Record<string, unknown>;
  /** Options whose doc gives null a meaning. */
  nullable?: readonly string[];
  /** Uses what was built; throws (cleanly, or not) if it does not work. */
  exercise?: (built: unknown, args: unknown[]) => void;
  /** Other names its errors may start with (the constructor a wrapper calls, …). */
  owners?: readonly string[];
  /** Runs, before FUZZ_RUNS scaling. Default 300. */
  runs?: number;
}

// ---- small params, and using what was built ---------------------------------------------------------

const params = (): m.Tree => ({
  w: { data: Float64Array.from([0.5, -1, 2, 0.25, 1, -0.5]), shape: [2, 3] },
  b: Float64Array.from([0.1, -0.2, 0.3]),
});
const matrices = (): m.Tree => ({
  w: { data: Float64Array.from([0.5, -1, 2, 0.25, 1, -0.5]), shape: [2, 3] },
  v: { data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2] },
});
const gradsFor = (p: m.Tree): m.Tree => m.mapTree(p, (d) => d.map((_, i) => (i % 3) - 0.7));

/** Two steps on fresh params, then the state dict must survive JSON and load back. */
function stepTwice(tx: unknown, p: m.Tree = params()): void {
  const opt = m.createOptimizer(tx as m.AnyTransformation, p);
  if ((tx as m.AnyTransformation).updateWithClosure) {
    // a closure optimizer (L-BFGS): stepped on ½‖p‖², the gradient p itself
    const closure = () => {
      let loss = 0;
      const grads = m.mapTree(p, (x) => {
        for (const v of x) loss += 0.5 * v * v;
        return x.slice();
      });
      return { loss, grads };
    };
    opt.step(closure);
    opt.step(closure);
  } else {
    const g = gradsFor(p);
    opt.step(g);
    opt.step(g);
  }
  const dict = JSON.parse(JSON.stringify(opt.stateDict()));
  try {
    opt.loadStateDict(dict);
  } catch (e) {
    throw new Internal(`its own state dict was refused: ${(e as Error).message}`);
  }
}

/** A schedule must give a number at every count it is read at; then it drives sgd's lr. */
function schedule(s: unknown, numbers = true): void {
  if (typeof s !== "function") throw new Internal(`a schedule constructor returned ${typeof s}`);
  for (const t of [0, 1, 2, 3, 10, 100]) {
    const v = (s as m.Schedule)(t);
    if (numbers && typeof v !== "number") throw new Internal(`the schedule gave ${typeof v} at ${t}`);
  }
}

/** A failure of the library that is not a thrown internal error (a wrong result, a refused own state). */
class Internal extends Error {}
/** Thrown by a budgeted callback: the call would run long (e.g. a billion probes), which is allowed. */
class Budget extends Error {}

function budgeted<T extends (...a: never[]) => unknown>(fn: T, calls = 50): T {
  let n = 0;
  return ((...a: never[]) => {
    if (++n > calls) throw new Budget("budget");
    return fn(...a);
  }) as T;
}

const hvpFor = () => budgeted((v: m.Tree) => m.mapTree(v, (d) => d.map((x, j) => 2 * x + 0.1 * j)), 250);
const gradFn = budgeted((p: m.Tree) => m.mapTree(p, (d) => d.map((x) => 3 * x)), 1e9);

// ---- the registry ------------------------------------------------------------------------------------

const transformOptions = (make: (o: unknown) => unknown, p?: () => m.Tree): Entry => ({
  call: make as Entry["call"],
  args: (o) => fc.tuple(o),
  probe: make,
  exercise: (tx) => stepTwice(tx, p?.()),
});
/** A constructor taking (x, options?), x a number. */
const positional = (make: (x: unknown, o: unknown) => unknown, good: unknown, p?: () => m.Tree): Entry => ({
  call: make as Entry["call"],
  args: (o) => fc.tuple(numberArg, o),
  probe: (o) => make(good, o),
  exercise: (tx) => stepTwice(tx, p?.()),
});
const scheduleEntry = (
  make: (o: unknown) => unknown,
  base: Record<string, unknown>,
  exercise = (s: unknown) => {
    schedule(s);
    stepTwice(m.sgd({ lr: s as m.Schedule }));
  },
): Entry => ({
  base,
  call: make as Entry["call"],
  args: (o) => fc.tuple(o),
  probe: make,
  exercise: (s) => {
    exercise(s);
  },
});
const cycle = (r: unknown) => {
  const { lr, momentum } = r as { lr: unknown; momentum?: unknown };
  schedule(lr);
  if (momentum !== undefined) schedule(momentum);
  stepTwice(m.sgd({ lr: lr as m.Schedule, ...(momentum ? { momentum: momentum as m.Schedule } : {}) }));
};
/** Every declared optimizer of the public API (a new one is fuzzed without an edit here). */
const OPTIMIZER_FNS = Object.fromEntries(
  Object.entries(m).filter(([, f]) => m.declarationOf(f) !== undefined),
) as Record<string, (o: unknown) => m.AnyTransformation>;
const OPTIMIZERS = Object.keys(OPTIMIZER_FNS);
const factories = Object.values(OPTIMIZER_FNS);
/** A wrapper of one transform, with options. */
const wrapper = (make: (tx: unknown, o: unknown) => unknown): Entry => ({
  call: make as Entry["call"],
  args: (o) => fc.tuple(transformArg, o),
  probe: (o) => make(m.sgd(), o),
  exercise: (tx) => stepTwice(tx),
  owners: OPTIMIZERS,
});

const FUZZED: Record<string, Entry> = {
  ...Object.fromEntries(
    OPTIMIZERS.map((name) => [
      name,
      {
        ...transformOptions(OPTIMIZER_FNS[name]!),
        // the options whose declared choices include null, and the nullable numbers
        nullable: Object.entries(m.declarationOf(OPTIMIZER_FNS[name])!.options)
          .filter(
            ([, spec]) =>
              (spec.type === "choice" && spec.values.includes(null)) ||
              (spec.type === "number" && spec.nullable),
          )
          .map(([k]) => k),
      },
    ]),
  ),
  // recipes
  adamwRecipe: {
    ...transformOptions((o) => m.adamwRecipe(o as never)),
    base: { totalSteps: 20 },
    owners: ["adamw", "warmupCosineDecay", "clipByGlobalNorm", "skipNonFinite", "ema"],
  },
  // building blocks
  scaleByAdadelta: transformOptions((o) => m.scaleByAdadelta(o as never)),
  scaleByAdam: transformOptions((o) => m.scaleByAdam(o as never)),
  scaleByAdan: transformOptions((o) => m.scaleByAdan(o as never)),
  scaleByAdemamix: transformOptions((o) => m.scaleByAdemamix(o as never)),
  scaleByAdopt: transformOptions((o) => m.scaleByAdopt(o as never)),
  scaleByDadaptAdamw: transformOptions((o) => m.scaleByDadaptAdamw(o as never)),
  scaleByFtrl: transformOptions((o) => m.scaleByFtrl(o as never)),
  scaleBySoap: { ...transformOptions((o) => m.scaleBySoap(o as never)), nullable: ["shampooBeta"] },
  scaleByProdigy: { ...transformOptions((o) => m.scaleByProdigy(o as never)) },
  scaleByBelief: transformOptions((o) => m.scaleByBelief(o as never)),
  scaleByYogi: transformOptions((o) => m.scaleByYogi(o as never)),
  scaleByAdamax: transformOptions((o) => m.scaleByAdamax(o as never)),
  scaleByFactoredRms: { ...transformOptions((o) => m.scaleByFactoredRms(o as never)), nullable: ["eps"] },
  scaleByLion: transformOptions((o) => m.scaleByLion(o as never)),
  scaleByRprop: transformOptions((o) => m.scaleByRprop(o as never)),
  scaleByAsgd: transformOptions((o) => m.scaleByAsgd(o as never)),
  scaleByLbfgs: transformOptions((o) => m.scaleByLbfgs(o as never)),
  scaleByMuon: {
    ...transformOptions((o) => m.scaleByMuon(o as never), matrices),
    nullable: ["adjustLrFn"],
  },
  scaleByNadam: transformOptions((o) => m.scaleByNadam(o as never)),
  scaleByRadam: transformOptions((o) => m.scaleByRadam(o as never)),
  scaleByRms: transformOptions((o) => m.scaleByRms(o as never)),
  scaleByRss: transformOptions((o) => m.scaleByRss(o as never)),
  scaleByTrustRatio: transformOptions((o) => m.scaleByTrustRatio(o as never)),
  trace: {
    ...transformOptions((o) => m.trace(o as never)),
    base: { momentum: 0.9 },
    probe: (o) => m.trace(withDefaults(o, { momentum: 0.9 }) as never),
  },
  globalNorm: {
    call: (p, o) =>
      m.globalNorm({ w: Float64Array.from([3, -4]), b: Float32Array.from([12]) }, p as number, o as never),
    args: (o) => fc.tuple(numberArg, o),
    probe: (o) => m.globalNorm({ w: Float64Array.from([3, -4]) }, 2, o as never),
    exercise: (norm) => {
      if (typeof norm !== "number" || !(norm > 0)) throw new Error(`globalNorm gave ${String(norm)}`);
    },
  },
  scale: {
    call: (x) => m.scale(x as number),
    args: () => fc.tuple(numberArg),
    exercise: (tx) => stepTwice(tx),
  },
  scaleByLearningRate: {
    call: (lr, owner) => m.scaleByLearningRate(lr as number, owner as string),
    args: () => fc.tuple(numberArg, fc.oneof(fc.constant(undefined), fc.constant("myLr"), anyValue)),
    exercise: (tx) => stepTwice(tx),
  },
  scaleBySchedule: positional((x, o) => m.scaleBySchedule(x as number, o as never), 0.5),
  scaleByParamBlockRms: positional((x, o) => m.scaleByParamBlockRms(x as number, o as never), 1e-3),
  addDecayedWeights: positional((x, o) => m.addDecayedWeights(x as number, o as never), 0.01),
  newtonSchulz: {
    call: (g, r, c, o) => m.newtonSchulz(g as Float64Array, r as number, c as number, o as never),
    args: (o) =>
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(null).map(() => Float64Array.from([1, 2, 3, 4, 5, 6])) },
          { weight: 1, arbitrary: anyValue },
        ),
        fc.oneof({ weight: 4, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: numberArg }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: numberArg }),
        o,
      ),
    probe: (o) => m.newtonSchulz(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, 3, o as never),
    exercise: (x) => {
      if (!(x instanceof Float64Array) || x.length !== 6) throw new Internal("newtonSchulz: wrong result");
    },
  },
  // clipping
  adaptiveGradClip: positional((x, o) => m.adaptiveGradClip(x as number, o as never), 0.01),
  clipByBlockNorm: positional((x, o) => m.clipByBlockNorm(x as number, o as never), 1),
  clipByBlockRms: positional((x, o) => m.clipByBlockRms(x as number, o as never), 1),
  clipByGlobalNorm: positional((x, o) => m.clipByGlobalNorm(x as number, o as never), 1),
  clipByValue: {
    call: (x) => m.clipByValue(x as number),
    args: () => fc.tuple(numberArg),
    exercise: (tx) => stepTwice(tx),
  },
  // weight decay
  rescaleWeightDecay: {
    call: (a, b, c) => m.rescaleWeightDecay(a as number, b as number, c as number),
    args: () => fc.tuple(numberArg, numberArg, numberArg),
    exercise: (x) => {
      if (typeof x !== "number") throw new Internal("rescaleWeightDecay: not a number");
    },
  },
  // wrappers
  accumulateGradients: {
    call: (tx, k) => m.accumulateGradients(tx as m.AnyTransformation, k as number),
    args: () => fc.tuple(transformArg, numberArg),
    exercise: (tx) => stepTwice(tx),
  },
  ema: wrapper((tx, o) => m.ema(tx as m.AnyTransformation, o as never)),
  polyak: wrapper((tx, o) => m.polyak(tx as m.AnyTransformation, o as never)),
  lookahead: wrapper((tx, o) => m.lookahead(tx as m.AnyTransformation, o as never)),
  skipNonFinite: wrapper((tx, o) => m.skipNonFinite(tx as m.AnyTransformation, o as never)),
  sam: wrapper((tx, o) => m.sam(tx as m.AnyTransformation, o as never)),
  scheduleFree: {
    ...wrapper((tx, o) => m.scheduleFree(tx as m.AnyTransformation, o as never)),
    base: { lr: 0.1 },
    probe: (o) => m.scheduleFree(m.sgd(), withDefaults(o, { lr: 0.1 }) as never),
  },
  observe: {
    call: (tx, onStats, o) => m.observe(tx as m.AnyTransformation, onStats as () => void, o as never),
    args: (o) =>
      fc.tuple(
        transformArg,
        fc.oneof({ weight: 4, arbitrary: fc.constant(() => {}) }, { weight: 1, arbitrary: anyValue }),
        o,
      ),
    probe: (o) => m.observe(m.adam(), () => {}, o as never),
    exercise: (tx) => stepTwice(tx),
    owners: ["observe: vScar", ...OPTIMIZERS],
  },
  freeze: {
    call: (mask) => m.freeze(mask as m.Mask),
    args: () => fc.tuple(fc.oneof(goodMask, anyValue)),
    exercise: (tx) => stepTwice(tx),
  },
  partition: {
    call: (transforms, labels) =>
      m.partition(transforms as Record<string, m.AnyTransformation>, labels as m.Labels),
    args: () =>
      fc.tuple(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(null).map(() => ({ muon: m.sgd(), adamw: m.adam() })) },
          {
            weight: 1,
            arbitrary: fc.dictionary(
              fc.constantFrom("muon", "adamw", "toString", "__proto__"),
              transformArg,
              { maxKeys: 3 },
            ),
          },
          { weight: 1, arbitrary: anyValue },
        ),
        fc.oneof(
          fc.constantFrom(
            (path: string) => (path === "w" ? "muon" : "adamw"),
            { w: "muon", b: "adamw" },
            "adamw",
            { w: "muon", b: "nobody" },
          ),
          anyValue,
        ),
      ),
    exercise: (tx) => stepTwice(tx),
    owners: OPTIMIZERS,
  },
  injectHyperparams: {
    call: (factory, o) => m.injectHyperparams(factory as (o: object) => m.AnyTransformation, o as object),
    args: () =>
      fc
        .tuple(
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...factories) },
            { weight: 1, arbitrary: anyValue },
          ),
          fc.constant(null),
        )
        .chain(([factory]) =>
          fc.tuple(
            fc.constant(factory),
            typeof factory === "function" && keysOf.has(factory)
              ? optionsOf(keysOf.get(factory)!)
              : optionsOf([]),
          ),
        ),
    exercise: (tx) => {
      stepTwice(tx);
    },
    owners: OPTIMIZERS,
  },
  chain: {
    call: (...txs) => m.chain(...(txs as m.AnyTransformation[])),
    args: () => fc.array(transformArg, { maxLength: 3 }),
    exercise: (tx) => stepTwice(tx),
    owners: OPTIMIZERS,
  },
  identity: {
    call: () => m.identity(),
    args: () => fc.constant([]),
    exercise: (tx) => stepTwice(tx),
    runs: 5,
  },
  // schedules
  constantLr: scheduleEntry((o) => m.constantLr(o as never), { lr: 0.1 }),
  cosineAnnealingLr: scheduleEntry((o) => m.cosineAnnealingLr(o as never), { lr: 0.1, tMax: 10 }),
  cosineAnnealingWarmRestarts: scheduleEntry((o) => m.cosineAnnealingWarmRestarts(o as never), {
    lr: 0.1,
    t0: 3,
  }),
  cyclicLr: scheduleEntry((o) => m.cyclicLr(o as never), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 }, cycle),
  exponentialLr: scheduleEntry((o) => m.exponentialLr(o as never), { lr: 0.1, gamma: 0.9 }),
  lambdaLr: scheduleEntry((o) => m.lambdaLr(o as never), { lr: 0.1, lrLambda: (c: number) => 1 / (1 + c) }),
  multiplicativeLr: scheduleEntry((o) => m.multiplicativeLr(o as never), { lr: 0.1, lrLambda: () => 0.99 }),
  swaLr: scheduleEntry((o) => m.swaLr(o as never), { lr: 0.1, swaLr: 0.01 }),
  linearLr: scheduleEntry((o) => m.linearLr(o as never), { lr: 0.1 }),
  multiStepLr: scheduleEntry((o) => m.multiStepLr(o as never), { lr: 0.1, milestones: [2, 5] }),
  oneCycleLr: scheduleEntry((o) => m.oneCycleLr(o as never), { maxLr: 0.1, totalSteps: 200 }, cycle),
  polynomialLr: scheduleEntry((o) => m.polynomialLr(o as never), { lr: 0.1 }),
  stepLr: scheduleEntry((o) => m.stepLr(o as never), { lr: 0.1, stepSize: 3 }),
  warmupCosineDecay: scheduleEntry((o) => m.warmupCosineDecay(o as never), {
    peak: 0.1,
    warmupSteps: 2,
    decaySteps: 10,
  }),
  warmupStableDecay: scheduleEntry((o) => m.warmupStableDecay(o as never), {
    peak: 0.1,
    warmupSteps: 2,
    stableSteps: 3,
    decaySteps: 4,
  }),
  reduceLrOnPlateau: scheduleEntry(
    (o) => m.reduceLrOnPlateau(o as never),
    { lr: 0.1 },
    (p) => {
      const s = p as m.PlateauScheduler;
      for (const metric of [1, 0.5, 0.5, 0.5, 2]) s.step(metric);
      schedule(s.lr);
      try {
        s.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
      } catch (e) {
        throw new Internal(`its own state dict was refused: ${(e as Error).message}`);
      }
      stepTwice(m.sgd({ lr: s.lr }));
    },
  ),
  join: {
    call: (s, b) => m.join(s as m.Schedule[], b as number[]),
    args: () => fc.tuple(schedulesArg, boundariesArg),
    exercise: (s) => schedule(s, false),
  },
  chainedScheduler: {
    call: (s) => m.chainedScheduler(s as m.Schedule[]),
    args: () => fc.tuple(schedulesArg),
    exercise: (s) => schedule(s, false),
  },
  sequentialLr: {
    call: (s, b) => m.sequentialLr(s as m.Schedule[], b as number[]),
    args: () => fc.tuple(schedulesArg, boundariesArg),
    exercise: (s) => schedule(s, false),
  },
  // diagnostics
  finiteDifferenceHvp: {
    call: (grad, p, o) => m.finiteDifferenceHvp(grad as (p: m.Tree) => m.Tree, p as m.Tree, o as never),
    args: (o) =>
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constant(gradFn) }, { weight: 1, arbitrary: anyValue }),
        fc.constant(null).map(params),
        o,
      ),
    probe: (o) => m.finiteDifferenceHvp(gradFn, params(), o as never),
    exercise: (hvp) => {
      (hvp as m.Hvp)(params());
    },
  },
  hessianTrace: {
    call: (hvp, p, o) => m.hessianTrace(hvp as m.Hvp, p as m.Tree, o as never),
    args: (o) =>
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(null).map(() => hvpFor()) },
          { weight: 1, arbitrary: anyValue },
        ),
        fc.constant(null).map(params),
        o,
      ),
    probe: (o) => m.hessianTrace(hvpFor(), params(), o as never),
  },
  topEigenvalue: {
    call: (hvp, p, o) => m.topEigenvalue(hvp as m.Hvp, p as m.Tree, o as never),
    args: (o) =>
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(null).map(() => hvpFor()) },
          { weight: 1, arbitrary: anyValue },
        ),
        fc.constant(null).map(params),
        o,
      ),
    probe: (o) => m.topEigenvalue(hvpFor(), params(), o as never),
  },
  // binding and packing
  createOptimizer: {
    call: (tx, p, o) => m.createOptimizer(tx as m.AnyTransformation, p as m.Tree, o as never),
    args: (o) => fc.tuple(transformArg, fc.constant(null).map(params), o),
    probe: (o) => m.createOptimizer(m.sgd(), params(), o as never),
    exercise: (opt) => {
      const h = opt as m.OptimizerHandle<unknown>;
      h.step(gradsFor(h.params));
      h.step(gradsFor(h.params));
    },
    owners: OPTIMIZERS,
  },
  packTree: {
    call: (tree, o) => m.packTree(tree as m.Tree, smallArena(o) as never),
    args: (o) => fc.tuple(fc.constant(null).map(params), o),
    probe: (o) => m.packTree(params(), o as never),
    exercise: (packed) => stepTwice(m.adamw(), packed as m.Tree),
  },
  createArena: {
    call: (o) => m.createArena(smallArena(o) as never),
    args: (o) => fc.tuple(o),
    probe: (o) => m.createArena(o as never),
    exercise: (arena) => {
      m.allocate(arena as m.Arena, 4);
    },
  },
};

/** The options with the required ones filled in, when they are an options object at all. */
function withDefaults(o: unknown, required: object): unknown {
  return o !== null && typeof o === "object" && !Array.isArray(o) ? { ...required, ...o } : o;
}

/** Keeps the fuzz from asking for gigabytes of memory (bytes is checked up to 4 GiB; 1e9 would be granted). */
function smallArena(o: unknown): unknown {
  if (o === null || typeof o !== "object") return o;
  const bytes = (o as { bytes?: unknown }).bytes;
  if (typeof bytes === "number" && bytes > 2 ** 22 && bytes <= 2 ** 32) return { ...o, bytes: 2 ** 22 };
  return o;
}

const goodMask = fc.constantFrom<unknown>(
  { w: true, b: false },
  (path: string) => path === "b",
  true,
  false,
  { w: false, b: [true] },
);

const schedulesArg = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(
      fc.oneof(
        fc.constant(null).map(() => m.constantLr({ lr: 0.1 })),
        anyValue,
      ),
      { minLength: 1, maxLength: 3 },
    ),
  },
  { weight: 1, arbitrary: anyValue },
);
const boundariesArg = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(0, 2, 5), anyValue), { maxLength: 3 }) },
  { weight: 1, arbitrary: anyValue },
);

/** Exported functions that are not constructors, and why they are not fuzzed here. */
const EXEMPT: Record<string, string> = {
  ...Object.fromEntries(
    [
      "assertSameStructure",
      "cloneTree",
      "flatten",
      "forEachLeaf",
      "leavesOf",
      "mapTree",
      "structureMismatch",
      "zerosLike",
      "zipLeaves",
      "dtypeOf",
      "isFloatArray",
      "isLeaf",
      "isShapedLeaf",
      "leafData",
      "leafShape",
      "resolveMask",
      "showPath",
      "applyUpdates",
    ].map((n) => [n, "a tree utility taking trees, no options (tree.test.ts covers malformed trees)"]),
  ),
  ...Object.fromEntries(
    ["base64ToFloats", "floatsToBase64"].map((n) => [
      n,
      "the state-dict codec: fuzzed through loadStateDict (load-state-dict.test.ts)",
    ]),
  ),
  stateBuffers:
    "reads a transform's own view of its state, no options (transform.test.ts covers every optimizer)",
  showDifference: "formats a LoadReport entry",
  formatNumber: "formats observe's output",
  formatStats: "formats observe's output",
  toJsonl: "formats observe's output",
  ...Object.fromEntries(
    ["findVScars", "typicalGradSq", "updateTypicalGradSq", "vScarRecoverySteps"].map((n) => [
      n,
      "v-scar arithmetic that observe calls with checked values; its options are fuzzed as observe's vScar",
    ]),
  ),
  ...Object.fromEntries(
    ["allocate", "arenaOf", "canShareMemory", "paddedLength"].map((n) => [
      n,
      "a low-level arena helper, no options (packTree and createArena are fuzzed)",
    ]),
  ),
  ...Object.fromEntries(
    ["kernelModule", "kernelsFor", "wasmAvailable"].map((n) => [n, "WASM plumbing, no options"]),
  ),
  ...Object.fromEntries(
    ["Mulberry32", "normal", "rng"].map((n) => [n, "a seeded random stream: a seed, no options"]),
  ),
  ...Object.fromEntries(
    [
      "checkBoolean",
      "checkHyper",
      "checkInteger",
      "checkKeys",
      "checkNumber",
      "checkOptions",
      "hyperAt",
      "inInterval",
      "valueAt",
    ].map((n) => [n, "one of the checks every fuzzed constructor runs (hyper.test.ts, validation.test.ts)"]),
  ),
  ...Object.fromEntries(
    ["buffersLike", "paramLeaves", "updateLeaves", "checkBetas"].map((n) => [
      n,
      "a helper for writing transforms, called with a transform's own values",
    ]),
  ),
  ...Object.fromEntries(
    ["averagedParams", "scheduleFreeEval", "scheduleFreeEvalParams", "scheduleFreeTrain"].map((n) => [
      n,
      "acts on a built optimizer's state and params, no options",
    ]),
  ),
  excludeBiasAndNorm: "a mask, (path, leaf) => boolean, not a constructor",
  declareOptimizer:
    "takes a declaration written in code; the constructors it makes are fuzzed above (every declared optimizer), and declaration.test.ts declares one",
  declarationOf: "reads a constructor's declaration, no options",
};

// ---- running one input --------------------------------------------------------------------------------

const INTERNAL =
  /Cannot read propert|Cannot set propert|Cannot convert|Cannot destructure|Cannot create property|is not a function|is not iterable|is not a constructor|is not defined|of undefined|of null|undefined is not|Maximum call stack|Invalid typed array length|Invalid array length|Array buffer allocation|serialize a BigInt|WebAssembly\.|unreachable|\[object /;

interface Tally {
  tried: number;
  built: number;
  refused: number;
  refusedAtUse: number;
  internal: string[];
}

const tally = (): Tally => ({ tried: 0, built: 0, refused: 0, refusedAtUse: 0, internal: [] });

/** The owners this input may legitimately name: the constructor's, and an `owner` it was given. */
function ownersFor(name: string, entry: Entry, args: unknown[]): string[] {
  const out = [name, ...(entry.owners ?? [])];
  for (const a of args) {
    if (typeof a === "string") out.push(a);
    if (a !== null && typeof a === "object" && typeof (a as { owner?: unknown }).owner === "string")
      out.push((a as { owner: string }).owner);
  }
  return out;
}

/** Whether `e` is a clean refusal: a RangeError/TypeError starting with one of `owners`, not an internal message. */
function clean(e: unknown, owners: readonly string[] | "any"): boolean {
  if (!(e instanceof TypeError || e instanceof RangeError)) return false;
  const msg = e.message;
  if (INTERNAL.test(msg)) return false;
  // at use, an error names what failed: a transform ("sgd: …"), or the mask option and the leaf (the
  // fused kernels resolve an alias's mask themselves: "mask at 'b': missing")
  if (owners === "any") return /^[A-Za-z][\w.[\]]*(: [\w.[\]]+)*: |^mask (at|function)/.test(msg);
  return owners.some((o) => msg.startsWith(`${o}:`));
}

function show(args: unknown[]): string {
  return fc.stringify(args).slice(0, 300);
}

function attempt(name: string, entry: Entry, args: unknown[], t: Tally): void {
  t.tried += 1;
  let built: unknown;
  try {
    built = entry.call(...args);
  } catch (e) {
    if (e instanceof Budget) {
      t.built += 1;
      return;
    }
    if (clean(e, ownersFor(name, entry, args))) {
      t.refused += 1;
      return;
    }
    t.internal.push(
      `${name}${show(args)} threw ${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`,
    );
    return;
  }
  try {
    entry.exercise?.(built, args);
    t.built += 1;
  } catch (e) {
    if (e instanceof Budget) {
      t.built += 1;
      return;
    }
    // at use an error names what failed — which may be the owner name the arguments gave
    if (!(e instanceof Internal) && (clean(e, "any") || clean(e, ownersFor(name, entry, args)))) {
      if (process.env.FUZZ_DEBUG) console.log(`${name} at use: ${(e as Error).message.slice(0, 160)}`);
      t.refusedAtUse += 1;
      return;
    }
    t.internal.push(
      `${name}${show(args)} built, then using it threw ${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`,
    );
  }
}

/** The option names a constructor allows, read from its refusal of an unknown one (and proving it strict). */
function allowedKeys(name: string, probe: (o: unknown) => unknown): string[] {
  let message = "";
  try {
    probe({ __fuzzProbe__: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  const match = /unknown option '__fuzzProbe__' \(allowed: ([^)]*)\)$/.exec(message);
  if (!match) throw new Error(`${name} did not refuse an unknown option (got: ${message || "no error"})`);
  return match[1]!.split(", ");
}

// factories' own keys, for injectHyperparams's options
const keysOf = new Map<unknown, string[]>(factories.map((f, i) => [f, allowedKeys(OPTIMIZERS[i]!, f)]));

const totals = tally();

function fuzz(name: string, entry: Entry, seedOffset: number): Tally {
  const keys = entry.probe ? allowedKeys(name, entry.probe) : [];
  const t = tally();
  fc.assert(
    fc.property(entry.args(optionsOf(keys, entry.base)), (args) => {
      attempt(name, entry, args, t);
    }),
    { numRuns: Math.max(1, Math.round((entry.runs ?? 300) * RUNS)), seed: SEED + seedOffset },
  );
  totals.tried += t.tried;
  totals.built += t.built;
  totals.refused += t.refused;
  totals.refusedAtUse += t.refusedAtUse;
  totals.internal.push(...t.internal);
  return t;
}

const SUBPATHS: Record<string, Entry> = {
  nodeThreadPool: {
    call: (threads, o) => nodeEntry.nodeThreadPool(threads as number, o as never),
    args: (o) =>
      fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: anyValue }), o),
    probe: (o) => nodeEntry.nodeThreadPool(1, o as never),
    runs: 150,
  },
  tfjsOptimizer: {
    call: (tx, o) => tfjsEntry.tfjsOptimizer(tx as m.AnyTransformation, o as never),
    args: (o) => fc.tuple(transformArg, o),
    probe: (o) => tfjsEntry.tfjsOptimizer(m.sgd(), o as never),
    runs: 150,
  },
};
const SUBPATH_EXEMPT: Record<string, string> = {
  MomentaOptimizer: "the class tfjsOptimizer constructs; its arguments are tfjsOptimizer's, fuzzed there",
  stateFromWords: "decodes a saved weight (TF.js's side of the state dict)",
};

describe("every public constructor is strict and fails cleanly", () => {
  it("every exported function is fuzzed or exempted with a reason, and nothing stale is listed", () => {
    const exported = (mod: object) =>
      Object.entries(mod)
        .filter(([, v]) => typeof v === "function")
        .map(([k]) => k)
        .sort();
    const missing = exported(m).filter((k) => !(k in FUZZED) && !(k in EXEMPT));
    expect(missing, "exported from momenta-optim but neither fuzzed nor exempt").toEqual([]);
    const sub = [...exported(nodeEntry), ...exported(tfjsEntry)].filter(
      (k) => !(k in SUBPATHS) && !(k in SUBPATH_EXEMPT),
    );
    expect(sub, "exported from momenta-optim/node or /tfjs but neither fuzzed nor exempt").toEqual([]);
    const stale = [...Object.keys(FUZZED), ...Object.keys(EXEMPT)].filter(
      (k) => typeof (m as Record<string, unknown>)[k] !== "function",
    );
    expect(stale, "listed but not exported").toEqual([]);
  });

  it("unknown options are refused with a did-you-mean for PyTorch's snake_case spellings and near misses", async () => {
    const wrong: string[] = [];
    for (const [name, entry] of Object.entries({ ...FUZZED, ...SUBPATHS })) {
      if (!entry.probe) continue;
      for (const key of await probeAsync(name, entry.probe)) {
        const tries = [snake(key), key.length >= 5 ? key.slice(0, -1) : undefined, key.toLowerCase()].filter(
          (k): k is string => k !== undefined && k !== key,
        );
        for (const given of tries) {
          const { error } = await settle(() => entry.probe!(objectOf([[given, 1]])));
          const message = (error as Error | undefined)?.message ?? "";
          // the suggestion names the key (beside any other name as near: "'betas' or 'beta3'")
          const guess = message.match(/^(.*?): unknown option '(.*?)' \(did you mean (.*?)\?\)/);
          if (!(guess?.[1] === name && guess[2] === given && guess[3]!.split(" or ").includes(`'${key}'`)))
            wrong.push(`${name}({ ${given} }): ${message || "no error"}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("null is refused for every option whose doc does not give it a meaning, and so is a non-object", async () => {
    const wrong: string[] = [];
    for (const [name, entry] of Object.entries({ ...FUZZED, ...SUBPATHS })) {
      if (!entry.probe) continue;
      for (const key of await probeAsync(name, entry.probe)) {
        const { error } = await settle(() => {
          const built = entry.probe!(objectOf([[key, null]]));
          if (entry.nullable?.includes(key)) entry.exercise?.(built, []);
          return built;
        });
        const nullable = entry.nullable?.includes(key) ?? false;
        if (
          nullable
            ? error !== undefined
            : !(
                error instanceof TypeError &&
                (error as Error).message.startsWith(`${name}: ${key} must not be null`)
              )
        ) {
          wrong.push(
            `${name}({ ${key}: null }): ${error === undefined ? "accepted" : (error as Error).message}`,
          );
        }
      }
      for (const bad of [null, 5, "adam", [], () => ({})]) {
        const { error } = await settle(() => entry.probe!(bad));
        if (!(error instanceof TypeError && (error as Error).message.startsWith(`${name}: `)))
          wrong.push(
            `${name}(${fc.stringify(bad)}): ${error === undefined ? "accepted" : (error as Error).message}`,
          );
      }
    }
    expect(wrong).toEqual([]);
  });

  it("random options and arguments: built and working, or refused naming the constructor — never an internal error", async () => {
    const rows: string[] = [];
    let offset = 0;
    for (const [name, entry] of Object.entries(FUZZED)) {
      const t = fuzz(name, entry, offset++);
      rows.push(
        `${name.padEnd(28)} ${String(t.tried).padStart(5)} ${String(t.built).padStart(5)} ${String(t.refused).padStart(5)} ${String(t.refusedAtUse).padStart(5)} ${t.internal.length}`,
      );
    }
    for (const [name, entry] of Object.entries(SUBPATHS)) {
      const t = tally();
      const keys = entry.probe ? await probeAsync(name, entry.probe) : [];
      const samples = fc.sample(entry.args(optionsOf(keys)), {
        numRuns: Math.round((entry.runs ?? 150) * RUNS),
        seed: SEED + offset++,
      });
      for (const args of samples) await attemptAsync(name, entry, args, t);
      totals.tried += t.tried;
      totals.built += t.built;
      totals.refused += t.refused;
      totals.internal.push(...t.internal);
      rows.push(
        `${name.padEnd(28)} ${String(t.tried).padStart(5)} ${String(t.built).padStart(5)} ${String(t.refused).padStart(5)} ${String(t.refusedAtUse).padStart(5)} ${t.internal.length}`,
      );
    }
    console.log(
      [
        `constructor fuzz (seed ${SEED}): ${totals.tried} inputs tried, ${totals.built} built and worked, ${totals.refused} refused at construction, ${totals.refusedAtUse} refused cleanly when used, ${totals.internal.length} internal errors`,
        `${"constructor".padEnd(28)} tried built refus. atUse internal`,
        ...rows,
      ].join("\n"),
    );
    // one line per kind of internal error (the first input that showed it), then the total
    const kinds = new Map<string, string>();
    for (const line of totals.internal) {
      const [name] = line.split("[", 1);
      const kind = `${name}: ${line
        .replace(/^.*? threw /s, "")
        .replace(/[\d.e+-]+/g, "#")
        .slice(0, 120)}`;
      if (!kinds.has(kind)) kinds.set(kind, line.slice(0, 600));
    }
    expect([...kinds.values()]).toEqual([]);
  });
});

/** Runs `fn`, awaiting a promise it returns (a thread pool is closed again); the error, if any. */
async function settle(fn: () => unknown): Promise<{ error?: unknown }> {
  try {
    const r = await fn();
    (r as { close?: () => void } | undefined)?.close?.();
    return {};
  } catch (error) {
    return { error };
  }
}

async function probeAsync(name: string, probe: (o: unknown) => unknown): Promise<string[]> {
  const { error } = await settle(() => probe({ __fuzzProbe__: 1 }));
  const message = (error as Error | undefined)?.message ?? "";
  const match = /unknown option '__fuzzProbe__' \(allowed: ([^)]*)\)$/.exec(message);
  if (!match) throw new Error(`${name} did not refuse an unknown option (got: ${message || "no error"})`);
  return match[1]!.split(", ");
}

async function attemptAsync(name: string, entry: Entry, args: unknown[], t: Tally): Promise<void> {
  t.tried += 1;
  try {
    const built = await entry.call(...args);
    (built as { close?: () => void } | undefined)?.close?.();
    t.built += 1;
  } catch (e) {
    if (clean(e, ownersFor(name, entry, args))) t.refused += 1;
    else
      t.internal.push(
        `${name}${show(args)} threw ${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`,
      );
  }
}
