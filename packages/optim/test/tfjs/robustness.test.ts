/**
 * The TF.js adapter, adversarially (issue #14, "Nothing lost, nothing half-done"): every wrong input
 * to setWeights and applyGradients is refused with an error naming the problem and changes nothing;
 * a disposed optimizer refuses to be used; a step that throws leaves variables, state and
 * `iterations` as they were, on both paths; saved weights carry the version-2 state dict, and the
 * weights of the version-1 adapter still load.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import * as m from "momenta-optim";
import { type MomentaOptimizer, tfjsOptimizer } from "momenta-optim/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dictOf,
  expectClearError,
  type NamedTensor,
  observe,
  savedData,
  stepWith,
  thrown,
  twoVars,
  weightList,
  wordsOf,
} from "./robust-helpers.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

let tags = 0;
const fresh = () => twoVars(`rb${tags++}`);
const PATHS = ["arrays", "ops"] as const;

/** A schedule that returns NaN once when armed (the step must throw before writing anything). */
function nanOnce(value: number) {
  const arm = { armed: false };
  const lr = (_count: number) => {
    if (!arm.armed) return value;
    arm.armed = false;
    return Number.NaN;
  };
  return { arm, schedule: Object.assign(lr, { base: value }) };
}

/**
 * The weights `getWeights` returned in the version-1 adapter (commit d7c13cd^, before state dict
 * version 2): chain(clipByGlobalNorm(1), adamw({ lr: 0.01, weightDecay: 0.1 })), path "arrays", on
 * the variables v1/w [2, 3] = [0.5, -0.25, 1, 2, -1, 0.125] and v1/b = [0.1, 0.2, 0.3], after three
 * steps with gradients w: [0.1(t+1), -0.2, 0.3, 0.05, 0, -0.4], b: [1, -1, 0.5]. Then one more
 * step with G (below) gave W4 and B4 in that adapter.
 */
const V1_ITER = 3;
const V1_WORDS = [
  1868964475, 1952542066, 1830959650, 1852140911, 1865310580, 1835627632, 1919253097, 1981951010, 1769173605,
  975335023, 1931619377, 577791348, 573322042, 1752457584, 1530536563, 791770658, 573317730, 1999581558,
  573332770, 1952543859, 1530536549, 1869881979, 1315725684, 577598063, 908996922, 959722034, 808988728,
  959853106, 2100835123, 578509612, 1853189987, 859447924, 2019893804, 1735803248, 2069576226, 862331938,
  574235186, 1933657961, 1734897488, 1228295244, 964119385, 2066513186, 862331938, 574235186, 1329940311,
  1834247248, 724591171, 959736626, 1247366961, 1094795600, 1430536513, 963473205, 744324386, 1886938402,
  1399289409, 1530536561, 1713644155, 975319603, 843869986, 1131499352, 1903848505, 1666872935, 746398261,
  1713644155, 975319603, 1179415330, 1497845607, 1768575286, 1868851065, 1886018100, 1097289283, 1111572801,
  1231769453, 1568481845, 1970154621, 1848405100, 1567386741, 32093,
];
const V1_W = [
  0.4692791700363159, -0.21928788721561432, 0.9670401215553284, 1.9640432596206665, -0.9970030188560486,
  0.1545882374048233,
];
const V1_B = [0.06973744183778763, 0.22936347126960754, 0.26913803815841675];
const G = { w: [0.3, 0.1, -0.2, 0.05, 0.5, -0.1], b: [-0.5, 0.25, 1] };
const V1_W4 = [
  0.4591366946697235, -0.21329781413078308, 0.9611598253250122, 1.9520395994186401, -1.0018173456192017,
  0.16351014375686646,
];
const V1_B4 = [0.06389692425727844, 0.23617921769618988, 0.25940388441085815];
const v1Recipe = () => m.chain(m.clipByGlobalNorm(1), m.adamw({ lr: 0.01, weightDecay: 0.1 }));

describe.each(PATHS)("tfjsOptimizer, path %s: setWeights checks before it changes anything", (path) => {
  it("a bad state before the first step is refused at once (was: accepted, then every step failed)", async () => {
    const net = fresh();
    const sgd = tfjsOptimizer(m.sgd({ lr: 0.1, momentum: 0.9 }), { path });
    stepWith(sgd, net);
    const sgdSaved = await savedData(sgd);
    const adam = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
    stepWith(adam, net);
    const adamSaved = await savedData(adam);
    sgd.dispose();
    adam.dispose();

    const negative = dictOf(adamSaved.words) as { state: [{ expAvgSq: { $f32: string }[] }] };
    const sq = m.base64ToFloats(negative.state[0].expAvgSq[1]!.$f32, "float32");
    sq[2] = -1;
    negative.state[0].expAvgSq[1] = { $f32: m.floatsToBase64(sq) };
    const elsewhere = { ...dictOf(adamSaved.words), paths: ["gone/b", "gone/w"] };
    const cases: [string, NamedTensor[], RegExp][] = [
      [
        "another optimizer's state",
        weightList(1, sgdSaved.words),
        /state\.0: unexpected key 'momentumBuffer'/,
      ],
      [
        "a negative second moment",
        weightList(1, wordsOf(negative)),
        /expAvgSq\.1: element 2 is -1.*never negative/,
      ],
      [
        "variables that do not exist",
        weightList(1, wordsOf(elsewhere)),
        /'gone\/b'.*no variable of that name exists/,
      ],
    ];
    for (const [what, weights, pattern] of cases) {
      const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
      const before = await observe(opt, net.vars);
      expectClearError(await thrown(() => opt.setWeights(weights)), pattern);
      expect(await observe(opt, net.vars), what).toEqual(before);
      stepWith(opt, net); // the optimizer is as new: it trains
      expect(opt.iterations).toBe(1);
      expect(opt.path).toBe(path);
      tf.dispose(weights.map((w) => w.tensor));
      opt.dispose();
    }
    net.dispose();
  });

  it("a checked pending state, then gradients for other variables: a clear error, and the saved variables still train from it", async () => {
    const a = fresh();
    const other = fresh();
    const first = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
    for (let t = 0; t < 2; t++) stepWith(first, a, t);
    const saved = await savedData(first);
    first.dispose();
    const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
    const weights = weightList(saved.iter, saved.words);
    await opt.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    const before = await observe(opt, [...a.vars, ...other.vars]);
    expectClearError(
      await thrown(() => stepWith(opt, other)),
      /the state given to setWeights was saved for \[rb\d+\/b, rb\d+\/w\], but these gradients are for \[rb\d+\/b, rb\d+\/w\].*nothing was changed/,
    );
    expect(await observe(opt, [...a.vars, ...other.vars])).toEqual(before);
    expect(opt.path).toBeUndefined();
    stepWith(opt, a, 2);
    expect(opt.iterations).toBe(3);
    expect((await observe(opt, a.vars)).state?.step).toBe(3);
    opt.dispose();
    a.dispose();
    other.dispose();
  });

  it("a refused setWeights leaves iterations as they were (was: set from the refused weights)", async () => {
    const net = fresh();
    for (const bound of [false, true]) {
      const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
      if (bound) for (let t = 0; t < 3; t++) stepWith(opt, net, t);
      const before = await observe(opt, net.vars);
      const bad = weightList(99, wordsOf({ format: "momenta.optimizer", version: 2, step: 99 }));
      expectClearError(await thrown(() => opt.setWeights(bad)), /setWeights: /);
      expect(opt.iterations).toBe(bound ? 3 : 0);
      expect(await observe(opt, net.vars)).toEqual(before);
      tf.dispose(bad.map((w) => w.tensor));
      opt.dispose();
    }
    net.dispose();
  });

  it("after dispose() the optimizer refuses to be used (was: silently restarted from zero)", async () => {
    const net = fresh();
    for (const stepped of [0, 2]) {
      const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
      for (let t = 0; t < stepped; t++) stepWith(opt, net, t);
      const saved = await savedData(opt);
      opt.dispose();
      const values = net.values();
      const disposed = /on a disposed optimizer/;
      expectClearError(await thrown(() => stepWith(opt, net)), disposed);
      expectClearError(
        await thrown(() => opt.minimize(() => tf.sum(tf.square(net.w)) as tf.Scalar)),
        disposed,
      );
      expectClearError(await thrown(() => opt.getWeights()), disposed);
      const weights = weightList(saved.iter, saved.words);
      expectClearError(await thrown(() => opt.setWeights(weights)), disposed);
      tf.dispose(weights.map((w) => w.tensor));
      expect(net.values()).toEqual(values);
      expect(opt.iterations).toBe(stepped);
      expect(opt.momenta).toBeUndefined();
      opt.dispose(); // twice is harmless
    }
    net.dispose();
  });
});

describe.each(PATHS)(
  "tfjsOptimizer, path %s: wrong weight lists are refused clearly, nothing changed",
  (path) => {
    it("empty, wrong names, wrong count, wrong dtypes and shapes, other lengths, other optimizers, garbage", async () => {
      const net = fresh();
      const trained = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
      for (let t = 0; t < 2; t++) stepWith(trained, net, t);
      const good = await savedData(trained);
      trained.dispose();
      const sgd = tfjsOptimizer(m.sgd({ lr: 0.1, momentum: 0.9 }), { path });
      stepWith(sgd, net);
      const sgdSaved = await savedData(sgd);
      sgd.dispose();
      const native = tf.train.adam(0.01);
      tf.dispose(native.minimize(() => tf.sum(tf.square(net.w)) as tf.Scalar, true, [net.w]) ?? []);
      const nativeSaved = await native.getWeights(); // iter and one float32 tensor per moment

      const iter = () => tf.scalar(good.iter, "int32");
      const state = () => tf.tensor1d(good.words, "int32");
      const half = good.words.slice(0, good.words.length >> 1);
      const garbage = Array.from({ length: 12 }, (_, i) => (i * 2654435761) | 0);
      const disposedState = state();
      disposedState.dispose();
      const list = "not a momenta optimizer's weights";
      const cases: [string, () => unknown, RegExp][] = [
        ["no list", () => undefined, /got undefined/],
        ["null", () => null, /got null/],
        ["a string", () => "iter", /got the string "iter"/],
        ["a map, not a list", () => ({ iter: iter() }), /got an object/],
        ["empty", () => [], new RegExp(`got 0 weights \\[\\] \\(${list}\\)`)],
        ["only iter", () => [{ name: "iter", tensor: iter() }], /got 1 weight \["iter"\]/],
        [
          "entries without tensors",
          () => [{ name: "iter" }, { name: "momenta/state" }],
          /weight 0 is an object; expected \{ name, tensor \}/,
        ],
        ["null entries", () => [null, null], /weight 0 is null/],
        [
          "a number for a tensor",
          () => [
            { name: "iter", tensor: 3 },
            { name: "momenta/state", tensor: state() },
          ],
          /weight 0 is an object; expected \{ name, tensor \} with a tensor/,
        ],
        [
          "wrong names",
          () => [
            { name: "step", tensor: iter() },
            { name: "momenta/state", tensor: state() },
          ],
          /got 2 weights \["step", "momenta\/state"\]/,
        ],
        [
          "state not named …/state",
          () => [
            { name: "iter", tensor: iter() },
            { name: "momenta", tensor: state() },
          ],
          /got 2 weights \["iter", "momenta"\]/,
        ],
        [
          "swapped",
          () => [
            { name: "momenta/state", tensor: state() },
            { name: "iter", tensor: iter() },
          ],
          /got 2 weights \["momenta\/state", "iter"\]/,
        ],
        [
          "one too many",
          () => [
            { name: "iter", tensor: iter() },
            { name: "momenta/state", tensor: state() },
            { name: "momenta/state", tensor: state() },
          ],
          /got 3 weights/,
        ],
        [
          "tf.train.adam's weights",
          () => nativeSaved,
          /got 3 weights \["iter", "rb\d+\/w\/m", "rb\d+\/w\/v"\]/,
        ],
        [
          "iter a fraction",
          () => [
            { name: "iter", tensor: tf.scalar(1.5) },
            { name: "momenta/state", tensor: state() },
          ],
          /'iter' must be a whole number from 0 to 2\^53 − 1, got 1.5/,
        ],
        [
          "iter negative",
          () => [
            { name: "iter", tensor: tf.scalar(-2, "int32") },
            { name: "momenta/state", tensor: state() },
          ],
          /'iter' must be a whole number.*got -2/,
        ],
        [
          "iter NaN",
          () => [
            { name: "iter", tensor: tf.scalar(Number.NaN) },
            { name: "momenta/state", tensor: state() },
          ],
          /'iter' must be a whole number.*got NaN/,
        ],
        [
          "iter of two values",
          () => [
            { name: "iter", tensor: tf.tensor1d([2, 2], "int32") },
            { name: "momenta/state", tensor: state() },
          ],
          /'iter' must be one whole number \(an int32 scalar\), got a int32 tensor of shape \[2\]/,
        ],
        [
          "iter bool",
          () => [
            { name: "iter", tensor: tf.scalar(true, "bool") },
            { name: "momenta/state", tensor: state() },
          ],
          /'iter' must be one whole number/,
        ],
        [
          "state float32",
          () => [
            { name: "iter", tensor: iter() },
            { name: "momenta/state", tensor: tf.tensor1d(good.words.map((x) => x / 7)) },
          ],
          /'momenta\/state' must be the int32 words of a state dict \(rank 1\), got a float32 tensor/,
        ],
        [
          "state rank 2",
          () => [
            { name: "iter", tensor: iter() },
            { name: "momenta/state", tensor: tf.tensor2d([good.words.slice(0, 4)], [1, 4], "int32") },
          ],
          /must be the int32 words of a state dict \(rank 1\), got a int32 tensor of shape \[1, 4\]/,
        ],
        [
          "state disposed",
          () => [
            { name: "iter", tensor: iter() },
            { name: "momenta/state", tensor: disposedState },
          ],
          /the tensor of weight 'momenta\/state' is disposed/,
        ],
        ["state cut in half", () => weightList(good.iter, half), /'momenta\/state': the words are not JSON/],
        [
          "state with words appended",
          () => weightList(good.iter, [...good.words, 1234567, -7]),
          /the words are not (JSON|UTF-8)/,
        ],
        ["garbage words", () => weightList(good.iter, garbage), /the words are not (JSON|UTF-8)/],
        [
          "a number",
          () => weightList(good.iter, wordsOf(42)),
          /not a momenta optimizer state dict|expected a state dict object/,
        ],
        [
          "null JSON",
          () => weightList(good.iter, wordsOf(null)),
          /not a momenta optimizer state dict|expected a state dict object/,
        ],
        [
          "a list",
          () => weightList(good.iter, wordsOf([1, 2])),
          /not a momenta optimizer state dict|expected a state dict object/,
        ],
        [
          "another format",
          () => weightList(good.iter, wordsOf({ format: "keras", paths: [] })),
          /not a momenta optimizer state dict/,
        ],
        [
          "a later version",
          () => weightList(good.iter, wordsOf({ ...dictOf(good.words), version: 3 })),
          /unsupported version 3 \(this momenta reads versions 1 and 2\)/,
        ],
        [
          "momenta sgd's state",
          () => weightList(sgdSaved.iter, sgdSaved.words),
          /state\.0: unexpected key 'momentumBuffer'/,
        ],
        [
          "a step that is no count",
          () => weightList(good.iter, wordsOf({ ...dictOf(good.words), step: -1 })),
          /step must be a whole number/,
        ],
        [
          "paths out of order",
          () => weightList(good.iter, wordsOf({ ...dictOf(good.words), paths: [net.w.name, net.b.name] })),
          /not in the order this adapter saves them|saved for different params/,
        ],
      ];
      for (const bound of [false, true]) {
        for (const [what, make, pattern] of cases) {
          const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
          if (bound) stepWith(opt, net, 5);
          const before = await observe(opt, net.vars);
          const weights = make();
          const e = await thrown(() => opt.setWeights(weights as NamedTensor[]));
          try {
            expectClearError(e, pattern);
          } catch (failure) {
            throw new Error(`${what} (bound: ${bound}): ${(failure as Error).message}`);
          }
          expect(await observe(opt, net.vars), what).toEqual(before);
          stepWith(opt, net, 6); // and it still trains
          expect(opt.iterations).toBe(bound ? 2 : 1);
          if (Array.isArray(weights) && weights !== nativeSaved) {
            tf.dispose(
              weights
                .map((w) => (w as { tensor?: unknown })?.tensor)
                .filter((t) => t instanceof tf.Tensor) as tf.Tensor[],
            );
          }
          opt.dispose();
        }
      }
      native.dispose();
      net.dispose();
    });
  },
);

describe.each(PATHS)(
  "tfjsOptimizer, path %s: wrong gradient maps are refused clearly, nothing changed",
  (path) => {
    it("null, empty, missing and extra names, wrong shapes and dtypes, non-trainable variables, duplicates", async () => {
      const net = fresh();
      const frozen = tf.variable(tf.zeros([3]), false, `rb${tags++}/frozen`);
      const ints = tf.variable(tf.zeros([3], "int32"), true, `rb${tags++}/ints`);
      const ok = () => net.grads(1);
      const cases: [string, () => unknown, RegExp, "both" | "unbound" | "bound"][] = [
        ["null", () => null, /applyGradients: expected the gradients by variable name .* got null/, "both"],
        ["undefined", () => undefined, /got undefined/, "both"],
        ["a number", () => 3, /got number 3/, "both"],
        ["a tensor", () => tf.ones([3]), /got a float32 tensor of shape \[3\]/, "both"],
        ["an empty map", () => ({}), /no gradients \(an empty map\)/, "both"],
        ["an empty list", () => [], /no gradients/, "both"],
        ["a list with null", () => [null], /entry 0 is null; expected \{ name, tensor \}/, "both"],
        [
          "a list with a nameless entry",
          () => [{ tensor: tf.ones([3]) }],
          /a gradient's name is undefined/,
          "both",
        ],
        ["a null gradient", () => ({ ...ok(), [net.w.name]: null }), /no gradient for 'rb\d+\/w'/, "both"],
        [
          "a list entry without tensor (minimize over a non-trainable var)",
          () => [
            { name: net.b.name, tensor: undefined },
            { name: net.w.name, tensor: tf.ones([2, 3]) },
          ],
          /no gradient for 'rb\d+\/b'/,
          "both",
        ],
        [
          "a number for a gradient",
          () => ({ ...ok(), [net.w.name]: 0.5 }),
          /the gradient for 'rb\d+\/w' is number 0.5, not a tensor/,
          "both",
        ],
        [
          "an array for a gradient",
          () => ({ ...ok(), [net.w.name]: [1, 2, 3, 4, 5, 6] }),
          /is an array of 6, not a tensor/,
          "both",
        ],
        [
          "an int32 gradient",
          () => ({ ...ok(), [net.w.name]: tf.ones([2, 3], "int32") }),
          /the gradient for 'rb\d+\/w' is int32; expected float32/,
          "both",
        ],
        [
          "a disposed gradient",
          () => {
            const g = ok();
            g[net.w.name]!.dispose();
            return g;
          },
          /the gradient for 'rb\d+\/w' is disposed/,
          "both",
        ],
        [
          "a transposed gradient",
          () => ({ ...ok(), [net.w.name]: tf.ones([3, 2]) }),
          /the gradient for 'rb\d+\/w' has shape \[3, 2\], the variable \[2, 3\]/,
          "both",
        ],
        [
          "a flat gradient",
          () => ({ ...ok(), [net.w.name]: tf.ones([6]) }),
          /has shape \[6\], the variable \[2, 3\]/,
          "both",
        ],
        [
          "a scalar gradient",
          () => ({ ...ok(), [net.b.name]: tf.scalar(1) }),
          /has shape \[\], the variable \[3\]/,
          "both",
        ],
        [
          "duplicates",
          () => [
            { name: net.w.name, tensor: tf.ones([2, 3]) },
            { name: net.w.name, tensor: tf.ones([2, 3]) },
            { name: net.b.name, tensor: tf.ones([3]) },
          ],
          /two gradients for 'rb\d+\/w'/,
          "both",
        ],
        [
          "a variable that does not exist",
          () => ({ ...ok(), nope: tf.ones([3]) }),
          /no variable named 'nope'/,
          "unbound",
        ],
        [
          "a prototype key",
          () => JSON.parse(`{"toString": 1, "${net.b.name}": 2}`),
          /is number 1, not a tensor/,
          "both",
        ],
        [
          "a method's name",
          () => ({ ...ok(), toString: tf.ones([3]) }),
          /no variable named 'toString'/,
          "unbound",
        ],
        [
          "a non-trainable variable",
          () => ({ ...ok(), [frozen.name]: tf.ones([3]) }),
          /variable 'rb\d+\/frozen' is not trainable/,
          "unbound",
        ],
        [
          "an int32 variable",
          () => ({ ...ok(), [ints.name]: tf.ones([3]) }),
          /variable 'rb\d+\/ints' is int32; only float32 variables train/,
          "unbound",
        ],
        [
          "a missing variable",
          () => ({ [net.w.name]: tf.ones([2, 3]) }),
          /gradients are for \[rb\d+\/w\] but this optimizer trains \[rb\d+\/b, rb\d+\/w\] \(missing: rb\d+\/b\)/,
          "bound",
        ],
        ["an extra name", () => ({ ...ok(), nope: tf.ones([3]) }), /\(not trained here: nope\)/, "bound"],
        [
          "a non-trainable variable, once bound",
          () => ({ ...ok(), [frozen.name]: tf.ones([3]) }),
          /\(not trained here: rb\d+\/frozen\)/,
          "bound",
        ],
      ];
      for (const bound of [false, true]) {
        for (const [what, make, pattern, when] of cases) {
          if (when !== "both" && (when === "bound") !== bound) continue;
          const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
          if (bound) stepWith(opt, net, 0);
          const before = await observe(opt, net.vars);
          const grads = make();
          const e = await thrown(() => opt.applyGradients(grads as tf.NamedTensorMap));
          try {
            expectClearError(e, pattern);
          } catch (failure) {
            throw new Error(`${what} (bound: ${bound}): ${(failure as Error).message}`);
          }
          expect(await observe(opt, net.vars), what).toEqual(before);
          // A refused first call binds nothing (was: bound to its names): the right gradients train.
          stepWith(opt, net, 1);
          expect(opt.iterations, what).toBe(bound ? 2 : 1);
          const tensors = Array.isArray(grads)
            ? grads.map((x) => (x as { tensor?: unknown } | null)?.tensor)
            : grads instanceof tf.Tensor
              ? [grads]
              : Object.values((grads ?? {}) as object);
          tf.dispose(tensors.filter((t) => t instanceof tf.Tensor) as tf.Tensor[]);
          opt.dispose();
        }
      }
      tf.dispose([frozen, ints]);
      net.dispose();
    });

    it("a bound variable disposed (and its name reused) is named, not written", async () => {
      const net = fresh();
      const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path });
      stepWith(opt, net);
      const name = net.w.name;
      net.w.dispose();
      const again = tf.variable(tf.ones([2, 3]), true, name);
      const g = { [net.b.name]: tf.ones([3]), [name]: tf.ones([2, 3]) };
      expectClearError(
        await thrown(() => opt.applyGradients(g)),
        /the variable 'rb\d+\/w' this optimizer trains was disposed/,
      );
      expect(Array.from(again.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
      expect(opt.iterations).toBe(1);
      tf.dispose([...Object.values(g), again, net.b]);
      opt.dispose();
    });
  },
);

describe.each(PATHS)("tfjsOptimizer, path %s: every step all or nothing", (path) => {
  it("a schedule's NaN: variables, state and iterations as before; the retry continues as if it had not failed", async () => {
    for (const failAt of [0, 3]) {
      const a = fresh();
      const b = fresh();
      const nan = nanOnce(0.01);
      const failing = tfjsOptimizer(m.adamw({ lr: nan.schedule, weightDecay: 0.1 }), { path });
      const straight = tfjsOptimizer(m.adamw({ lr: nanOnce(0.01).schedule, weightDecay: 0.1 }), { path }); // never armed
      for (let t = 0; t < 6; t++) {
        if (t === failAt) {
          const before = await observe(failing, a.vars);
          nan.arm.armed = true;
          expect(() => stepWith(failing, a, t)).toThrow(/schedule for lr gave NaN/);
          expect(await observe(failing, a.vars)).toEqual(before);
          expect(failing.iterations).toBe(t);
          if (t === 0) expect(failing.path).toBeUndefined(); // a failed first step binds nothing
        }
        stepWith(failing, a, t);
        stepWith(straight, b, t);
      }
      expect(a.values()).toEqual(b.values());
      expect(failing.iterations).toBe(6);
      expect((await observe(failing, a.vars)).state?.state).toEqual(
        (await observe(straight, b.vars)).state?.state,
      );
      failing.dispose();
      straight.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it("strict clipping of a non-finite norm changes nothing", async () => {
    const net = fresh();
    const opt = tfjsOptimizer(m.chain(m.clipByGlobalNorm(1, { errorIfNonfinite: true }), m.adam()), { path });
    stepWith(opt, net);
    const before = await observe(opt, net.vars);
    const bad = { [net.b.name]: tf.fill([3], Number.NaN), [net.w.name]: tf.ones([2, 3]) };
    expect(() => opt.applyGradients(bad)).toThrow(
      /total 2-norm of the gradients is NaN; nothing was changed/,
    );
    expect(await observe(opt, net.vars)).toEqual(before);
    stepWith(opt, net, 1);
    expect(opt.iterations).toBe(2);
    tf.dispose(Object.values(bad));
    opt.dispose();
    net.dispose();
  });
});

describe("tfjsOptimizer: every step all or nothing (arrays path, any chain)", () => {
  it("a step that fails part-way inside the kernel: the next step reads the (unchanged) variables again", async () => {
    const a = fresh();
    const b = fresh();
    const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path: "arrays" });
    const straight = tfjsOptimizer(m.adam({ lr: 0.01 }), { path: "arrays" });
    stepWith(opt, a, 0);
    stepWith(straight, b, 0);
    // A kernel fault: the params buffer written part-way (NaN), then a throw; the handle refuses
    // until a state is loaded, as createOptimizer does after a fault inside a running kernel.
    const handle = opt.momenta!;
    const step = handle.step;
    const state = handle.stateDict();
    handle.step = () => {
      for (const leaf of Object.values(handle.params as Record<string, { data: Float32Array }>)) {
        leaf.data.fill(Number.NaN);
      }
      throw new Error("fault inside the kernel");
    };
    const before = await observe(opt, a.vars);
    expect(() => stepWith(opt, a, 1)).toThrow(/fault inside the kernel/);
    handle.step = step;
    handle.loadStateDict(state);
    expect(await observe(opt, a.vars)).toEqual(before);
    stepWith(opt, a, 1);
    stepWith(straight, b, 1);
    expect(a.values()).toEqual(b.values()); // was: NaN, from the part-written buffer
    opt.dispose();
    straight.dispose();
    a.dispose();
    b.dispose();
  });

  it("a clone of a variable stays as it was taken (was: it aliased momenta's params on cpu, changed by later steps)", () => {
    const net = fresh();
    const opt = tfjsOptimizer(m.sgd({ lr: 0.1 }), { path: "arrays" });
    stepWith(opt, net, 0);
    const clone = net.w.clone();
    const taken = Array.from(clone.dataSync());
    for (let t = 1; t < 3; t++) stepWith(opt, net, t);
    expect(Array.from(clone.dataSync())).toEqual(taken);
    expect(net.values()[1]).not.toEqual(taken);
    clone.dispose();
    opt.dispose();
    net.dispose();
  });

  it("a refused minimize frees the gradients and the cost", async () => {
    const net = fresh();
    const frozen = tf.variable(tf.ones([3]), false, `rb${tags++}/frozen`);
    const opt = tfjsOptimizer(m.adam({ lr: 0.01 }));
    const loss = () => tf.sum(tf.mul(tf.sum(net.w), tf.sum(net.b))) as tf.Scalar;
    tf.dispose(opt.minimize(loss, true) ?? []);
    const before = tf.memory().numTensors;
    // a variable list naming a non-trainable variable: no gradient for it, the step is refused
    expect(() => opt.minimize(loss, true, [net.w, net.b, frozen])).toThrow(/no gradient for 'rb\d+\/frozen'/);
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.iterations).toBe(1);
    opt.dispose();
    expect(() => opt.minimize(loss)).toThrow(/minimize on a disposed optimizer/);
    expect(tf.memory().numTensors).toBe(before);
    frozen.dispose();
    net.dispose();
  });

  it("a link that throws part-way: variables, state and iterations as before", async () => {
    const net = fresh();
    const faults = { armed: false };
    const bomb: m.GradientTransformation<{ calls: number }> = {
      init: () => ({ calls: 0 }),
      update(updates, state) {
        state.calls += 1;
        if (faults.armed) {
          faults.armed = false;
          throw new Error("injected fault");
        }
        return updates;
      },
    };
    const opt = tfjsOptimizer(m.chain(m.adam({ lr: 0.01 }), bomb), { path: "arrays" });
    for (let t = 0; t < 2; t++) stepWith(opt, net, t);
    const before = await observe(opt, net.vars);
    faults.armed = true;
    expect(() => stepWith(opt, net, 2)).toThrow(/injected fault/);
    expect(await observe(opt, net.vars)).toEqual(before);
    expect(opt.iterations).toBe(2);
    stepWith(opt, net, 2);
    expect(opt.iterations).toBe(3);
    opt.dispose();
    net.dispose();
  });
});

describe("tfjsOptimizer: saved weights carry state dict version 2, and version 1 still loads", () => {
  it("getWeights writes version 2 with the hyperparameters, also for a state set before the first step", async () => {
    const net = fresh();
    const opt = tfjsOptimizer(m.adamw({ lr: 0.01, weightDecay: 0.1 }));
    for (let t = 0; t < 2; t++) stepWith(opt, net, t);
    const saved = await savedData(opt);
    const dict = dictOf(saved.words) as unknown as m.StateDict;
    expect(dict.version).toBe(2);
    expect(dict.step).toBe(2);
    expect(dict.hyperparams).toBeDefined();
    const v1 = { ...dict, version: 1 } as Partial<m.StateDict>;
    delete v1.hyperparams;
    const again = tfjsOptimizer(m.adamw({ lr: 0.01, weightDecay: 0.1 }));
    const weights = weightList(2, wordsOf(v1));
    await again.setWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    expect(again.loadReport).toEqual({ differences: [], compared: false, converted: [] });
    expect(dictOf((await savedData(again)).words)).toEqual(dict); // rewritten as version 2
    opt.dispose();
    again.dispose();
    net.dispose();
  });

  for (const path of PATHS) {
    it(`weights saved by the version-1 adapter load and continue as it did (path ${path})`, async () => {
      const w = tf.variable(tf.tensor(V1_W, [2, 3]), true, "v1/w");
      const b = tf.variable(tf.tensor(V1_B), true, "v1/b");
      expect((dictOf(V1_WORDS) as { version: number }).version).toBe(1);
      const opt = tfjsOptimizer(v1Recipe(), { path });
      const weights = weightList(V1_ITER, V1_WORDS);
      await opt.setWeights(weights);
      tf.dispose(weights.map((x) => x.tensor));
      expect(opt.iterations).toBe(3);
      expect(opt.loadReport?.compared).toBe(false);
      const g = { "v1/w": tf.tensor(G.w, [2, 3]), "v1/b": tf.tensor(G.b) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
      if (path === "arrays") {
        // the same kernel on the same float32 values: what the version-1 adapter gave, exactly
        expect(Array.from(w.dataSync())).toEqual(V1_W4);
        expect(Array.from(b.dataSync())).toEqual(V1_B4);
      } else {
        for (const [x, i] of Array.from(w.dataSync()).map((x, i) => [x, i] as const)) {
          expect(x).toBeCloseTo(V1_W4[i]!, 6);
        }
        for (const [x, i] of Array.from(b.dataSync()).map((x, i) => [x, i] as const)) {
          expect(x).toBeCloseTo(V1_B4[i]!, 6);
        }
      }
      const dict = dictOf((await savedData(opt)).words) as unknown as m.StateDict;
      expect(dict.version).toBe(2);
      expect(dict.step).toBe(4);
      opt.dispose();
      tf.dispose([w, b]);
    });
  }

  it("loadReport names the saved hyperparameters that differ (kept: this optimizer's)", async () => {
    const net = fresh();
    const opt = tfjsOptimizer(m.adam({ lr: 0.01 }));
    stepWith(opt, net);
    const saved = await savedData(opt);
    for (const bound of [false, true]) {
      const other = tfjsOptimizer(m.adam({ lr: 0.02 }));
      if (bound) stepWith(other, net);
      const weights = weightList(saved.iter, saved.words);
      await other.setWeights(weights);
      tf.dispose(weights.map((x) => x.tensor));
      expect(other.loadReport?.compared).toBe(true);
      expect(other.loadReport?.differences).toEqual([{ name: "lr", saved: 0.01, current: 0.02 }]);
      other.dispose();
    }
    opt.dispose();
    net.dispose();
  });

  it("the empty state of an optimizer that had not stepped restores just that", async () => {
    const net = fresh();
    const blank = tfjsOptimizer(m.adam({ lr: 0.01 }));
    const empty = await savedData(blank);
    expect(empty.words).toEqual([]);
    blank.dispose();
    for (const path of PATHS) {
      const opt = tfjsOptimizer(m.adam({ lr: 0.01 }), { path }) as MomentaOptimizer;
      for (let t = 0; t < 2; t++) stepWith(opt, net, t);
      const weights = weightList(0, []);
      await opt.setWeights(weights);
      tf.dispose(weights.map((x) => x.tensor));
      expect(opt.iterations).toBe(0);
      expect(opt.path).toBeUndefined();
      expect((await savedData(opt)).words).toEqual([]);
      stepWith(opt, net, 0);
      expect((await observe(opt, net.vars)).state?.step).toBe(1);
      opt.dispose();
    }
    net.dispose();
  });
});
