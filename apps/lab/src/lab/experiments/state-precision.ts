/**
 * How few bits does Adam's state need (issue 19)? AdamW with its moments stored as float32, as
 * bfloat16 (stochastic rounding) and as 8 bits (block-wise, √v on a dynamic code: `stateDtype:
 * "int8"`), beside a naive 8-bit second moment on a linear code (`problems/linear-int8-adam.ts`) —
 * on an MNIST MLP and (with --full) a small CNN (test accuracy paired with float32 state: same init,
 * same batches), and on three
 * quadratics built to break low precision: curvatures over 4 decades inside every block (v over 8),
 * a v-scar (one gradient 1000× the rest in every block, once), and gradients 10⁻⁶ as small (v near
 * ε², where a state that loses tiny values would show it).
 */
import {
  type AnyTransformation,
  adamw,
  addDecayedWeights,
  chain,
  createOptimizer,
  Mulberry32,
  normal,
  scaleByLearningRate,
} from "momenta-optim";
import {
  type Context,
  type Experiment,
  type ExperimentResult,
  type Judgement,
  type Mode,
  seedsFor,
} from "../experiment.ts";
import { mean, sig } from "../measure/stats.ts";
import { bars, lines } from "../plot/index.ts";
import { Cnn } from "../problems/cnn.ts";
import { scaleByAdamLinearInt8V } from "../problems/linear-int8-adam.ts";
import { evaluate, Mlp, type Net, trainMlp } from "../problems/mlp.ts";
import { CLASSES, digitTensors, disposeDigits, labBackend, mnistSplit, PIXELS } from "../problems/mnist.ts";

export const ARMS = ["float32", "bfloat16", "int8", "linear 8-bit v"] as const;
export type Arm = (typeof ARMS)[number];
export const CASES = ["4 decades of curvature", "v-scar", "tiny gradients"] as const;
export type Case = (typeof CASES)[number];
export type NetName = "MLP" | "CNN";

const SIZES: Record<
  Mode,
  {
    train: number;
    test: number;
    epochs: number;
    hidden: number;
    /** The CNN's training digits, epochs and filters, or none (quick mode: its budget has no room). */
    cnn?: { train: number; epochs: number; filters: number };
    seeds: number;
    n: number;
    steps: number;
  }
> = {
  smoke: {
    train: 256,
    test: 200,
    epochs: 1,
    hidden: 16,
    cnn: { train: 128, epochs: 1, filters: 2 },
    seeds: 1,
    n: 512,
    steps: 30,
  },
  // One MNIST seed per run: the Lab's 3 base seeds pair 3 (5 with --full). Quadratics of 16 blocks.
  quick: { train: 3000, test: 2000, epochs: 2, hidden: 64, seeds: 1, n: 4096, steps: 100 },
  // The CNN at 4,000 digits × 2 epochs: ~4× the MLP's time a step (its convolutions).
  full: {
    train: 8000,
    test: 2000,
    epochs: 3,
    hidden: 64,
    cnn: { train: 4000, epochs: 2, filters: 8 },
    seeds: 1,
    n: 4096,
    steps: 100,
  },
};
const BATCH = 64;
/** AdamW at PyTorch's defaults on the MNIST net. */
const MNIST = { lr: 1e-3, weightDecay: 0.01 };
/** The quadratics' lr (trains them in 100 steps without converging: state errors still show). */
const QUAD_LR = 0.01;
/** The step at which the v-scar's spike lands, and its size (× the coordinate's own gradient). */
const SCAR = { step: 10, size: 1000 };
/**
 * Accuracy within 0.5 pp of float32 state's (the issue's bound; the paired differences measured in
 * session 10 were ±0.1 pp per seed), a quadratic's loss within 10 % of float32's.
 */
const ACC_PP = 0.5;
const LOSS_REL = 0.1;
/** The linear code "fails" where it costs 2 pp of accuracy or doubles a quadratic's loss (or diverges). */
const FAIL_PP = 2;
const FAIL_RATIO = 2;

/** An arm's AdamW: momenta's with `stateDtype`, or the naive linear 8-bit v in the same chain. */
export function armOptimizer(
  arm: Arm,
  o: { lr: number; weightDecay: number },
  seed: number,
): AnyTransformation {
  if (arm === "linear 8-bit v")
    return chain(scaleByAdamLinearInt8V(), addDecayedWeights(o.weightDecay), scaleByLearningRate(o.lr));
  return adamw({ ...o, ...(arm === "float32" ? {} : { stateDtype: arm, stateSeed: seed }) });
}

export interface StatePrecisionMeasurements {
  /** Test accuracy per net run and arm, one per MNIST seed (paired: index k is one seed for every arm). */
  accuracy: Partial<Record<NetName, Record<Arm, number[]>>>;
  /** Final loss / float32 state's final loss, per case and arm (NaN or ∞: diverged). */
  ratio: Record<Case, Record<Arm, number>>;
}

/**
 * The claim holds when bfloat16 and int8 each stay within 0.5 pp of float32 state's test accuracy
 * (mean paired difference) on every net run and within 10 % of its loss on every quadratic, and
 * the linear 8-bit v fails somewhere (≥ 2 pp, ≥ 2× the loss, or divergence): 8 bits suffice, but
 * only on a code built for v's range.
 */
export function judgeStatePrecision(m: StatePrecisionMeasurements): Judgement {
  const nets = (["MLP", "CNN"] as const).filter((n) => m.accuracy[n] !== undefined);
  const diff = (net: NetName, arm: Arm) => {
    const acc = m.accuracy[net]!;
    return mean(acc[arm].map((a, k) => 100 * (a - acc.float32[k]!)));
  };
  const worstDiff = (arm: Arm) => Math.max(...nets.map((n) => Math.abs(diff(n, arm))));
  const worstRatio = (arm: Arm) => Math.max(...CASES.map((c) => Math.abs(m.ratio[c][arm] - 1)));
  const ok = (arm: Arm) => worstDiff(arm) <= ACC_PP && worstRatio(arm) <= LOSS_REL;
  const linearFails =
    nets.some((n) => diff(n, "linear 8-bit v") <= -FAIL_PP) ||
    CASES.some((c) => !(m.ratio[c]["linear 8-bit v"] < FAIL_RATIO));
  const pp = (x: number) => `${x >= 0 ? "+" : ""}${sig(x, 2)} pp`;
  const ratios = (arm: Arm) => CASES.map((c) => `${c} ${sig(m.ratio[c][arm], 3)}`).join(", ");
  const accs = nets
    .map(
      (n) =>
        `${n} bfloat16 ${pp(diff(n, "bfloat16"))}, int8 ${pp(diff(n, "int8"))}, linear 8-bit v ${pp(diff(n, "linear 8-bit v"))}`,
    )
    .join("; ");
  const nums = `test accuracy − float32 state's: ${accs}; loss ÷ float32's — bfloat16: ${ratios("bfloat16")}; int8: ${ratios("int8")}; linear: ${ratios("linear 8-bit v")}`;
  const deciding = {
    label: "largest |accuracy difference| to float32 state, bfloat16 and int8 (pp)",
    value: Math.max(worstDiff("bfloat16"), worstDiff("int8")),
    threshold: `≤ ${ACC_PP} pp (and every quadratic's loss within ${100 * LOSS_REL} %)`,
  };
  if (!ok("bfloat16"))
    return {
      verdict: "does not hold",
      reason: `${nums}: bfloat16 state already misses float32's (accuracy within ${ACC_PP} pp, losses within ${100 * LOSS_REL} %).`,
      deciding,
    };
  if (!ok("int8"))
    return {
      verdict: "holds only when the state keeps 16 bits (bfloat16)",
      reason: `${nums}: bfloat16 keeps up; 8-bit state misses float32's (accuracy within ${ACC_PP} pp, losses within ${100 * LOSS_REL} %).`,
      deciding,
    };
  if (!linearFails)
    return {
      verdict: "holds only when the 8-bit code's shape is left out of it",
      reason: `${nums}: bfloat16 and int8 keep up, but so does the linear 8-bit v here (no ${FAIL_PP} pp loss, no ${FAIL_RATIO}× loss): these problems do not show why the code must be non-linear.`,
      deciding,
    };
  return {
    verdict: "holds",
    reason: `${nums}: bfloat16 and 8-bit state keep up with float32's (≤ ${ACC_PP} pp, ≤ ${100 * LOSS_REL} %), and the linear 8-bit v fails (≥ ${FAIL_PP} pp, ≥ ${FAIL_RATIO}× or diverged) where v spans decades within a block.`,
    deciding,
  };
}

interface Quadratic {
  h: Float64Array;
  x0: Float32Array;
  /** Gradient scale (the "tiny gradients" case multiplies the loss by it). */
  scale: number;
  /** Coordinates spiked once at SCAR.step (one per block of 256), or none. */
  scar: boolean;
}

/**
 * f(x) = scale·½Σ hᵢxᵢ², x₀ ~ N(0, 1): curvatures log-uniform over [10⁻², 10²] drawn per element (so
 * every block of 256 spans the 4 decades). For the scar, curvatures within one octave [0.7, 1.4] and
 * x₀ = ±1, so every gradient in a block is within 2× of the others — a linear code copes, but for the
 * spike.
 */
export function quadratic(c: Case, n: number, seed: number): Quadratic {
  const g = new Mulberry32(seed);
  const gauss = normal(() => g.next());
  const wide = c !== "v-scar";
  const h = Float64Array.from({ length: n }, () => (wide ? 10 ** (4 * g.next() - 2) : 2 ** (g.next() - 0.5)));
  const x0 = Float32Array.from({ length: n }, () => (wide ? gauss() : g.next() < 0.5 ? -1 : 1));
  return { h, x0, scale: c === "tiny gradients" ? 1e-6 : 1, scar: c === "v-scar" };
}

const lossOf = (q: Quadratic, x: Float32Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += 0.5 * q.h[i]! * x[i]! ** 2;
  return q.scale * s;
};

/** Adam on one quadratic: the loss after each step. */
export function runQuadratic(q: Quadratic, arm: Arm, steps: number, seed: number): number[] {
  const x = q.x0.slice();
  const opt = createOptimizer(armOptimizer(arm, { lr: QUAD_LR, weightDecay: 0 }, seed), { x });
  const g = { x: new Float32Array(x.length) };
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < x.length; i++) g.x[i] = q.scale * q.h[i]! * x[i]!;
    if (q.scar && t === SCAR.step) for (let i = 0; i < x.length; i += 256) g.x[i]! *= SCAR.size;
    opt.step(g);
    out.push(lossOf(q, x));
  }
  opt.dispose();
  return out;
}

/** Bytes of state per parameter of each arm's AdamW on the MNIST net's shapes (`opt.stateBytes`). */
function bytesPerParam(sizes: readonly number[]): Record<Arm, number> {
  const params: Record<string, Float32Array> = {};
  let count = 0;
  for (let l = 1; l < sizes.length; l++) {
    params[`w${l}`] = new Float32Array(sizes[l - 1]! * sizes[l]!);
    params[`b${l}`] = new Float32Array(sizes[l]!);
    count += sizes[l - 1]! * sizes[l]! + sizes[l]!;
  }
  return Object.fromEntries(
    ARMS.map((arm) => {
      const opt = createOptimizer(armOptimizer(arm, MNIST, 0), params);
      const b = opt.stateBytes / count;
      opt.dispose();
      return [arm, b];
    }),
  ) as Record<Arm, number>;
}

async function measure(ctx: Context) {
  const size = SIZES[ctx.mode];
  const seeds = seedsFor(ctx, size.seeds);
  const backend = await labBackend();
  const runs: { name: NetName; train: number; epochs: number; make: (seed: number) => Net }[] = [
    {
      name: "MLP",
      train: size.train,
      epochs: size.epochs,
      make: (seed) => new Mlp({ sizes: [PIXELS, size.hidden, CLASSES], activation: "relu", seed }),
    },
    ...(size.cnn
      ? [
          {
            name: "CNN" as const,
            ...size.cnn,
            make: (seed: number) => new Cnn({ filters: size.cnn!.filters, seed }),
          },
        ]
      : []),
  ];
  const perArm = () => Object.fromEntries(ARMS.map((a) => [a, [] as number[]])) as Record<Arm, number[]>;
  const accuracy: Partial<Record<NetName, Record<Arm, number[]>>> = {};
  const trainLoss: Partial<Record<NetName, Record<Arm, number[]>>> = {};
  const curves = {} as Record<Arm, number[]>;
  const total = (runs.length * seeds.length + CASES.length) * ARMS.length;
  let done = 0;
  for (const run of runs) {
    const split = mnistSplit(run.train, size.test);
    const train = digitTensors(split.train);
    const test = digitTensors(split.test);
    const acc = perArm();
    const losses = perArm();
    accuracy[run.name] = acc;
    trainLoss[run.name] = losses;
    try {
      for (const seed of seeds) {
        for (const arm of ARMS) {
          const net = run.make(seed);
          try {
            const fit = trainMlp(net, armOptimizer(arm, MNIST, seed), train, {
              epochs: run.epochs,
              batchSize: BATCH,
              seed: seed + 7,
            });
            acc[arm].push(fit.diverged ? 0 : evaluate(net, test).accuracy);
            losses[arm].push(fit.diverged ? Number.NaN : evaluate(net, train).loss);
            if (run.name === "MLP" && seed === seeds[0]) curves[arm] = fit.losses;
          } finally {
            net.dispose();
          }
          ctx.progress(++done / total, `MNIST ${run.name} seed ${seed} ${arm}`);
        }
      }
    } finally {
      disposeDigits(train, test);
    }
  }
  const quadSeed = seedsFor(ctx, 1)[0]!;
  const quad = {} as Record<Case, Record<Arm, number[]>>;
  for (const c of CASES) {
    const q = quadratic(c, size.n, quadSeed);
    quad[c] = {} as Record<Arm, number[]>;
    for (const arm of ARMS) {
      quad[c][arm] = runQuadratic(q, arm, size.steps, quadSeed);
      ctx.progress(++done / total, `${c} ${arm}`);
    }
  }
  return { size, seeds, backend, accuracy, trainLoss, curves, quad };
}

/** Mean of each window of `w` consecutive values: minibatch losses made readable. */
function smooth(values: readonly number[], w: number): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let at = 0; at + w <= values.length; at += w) {
    x.push(at + w);
    y.push(mean(values.slice(at, at + w)));
  }
  return { x, y };
}

export const experiment: Experiment = {
  id: "state-precision",
  title: "How few bits Adam's state needs",
  claim:
    "AdamW's moments can be stored in 16 bits (bfloat16 with stochastic rounding) or 8 bits (block-wise, on a non-linear code) and train as well as float32 state; a linear 8-bit second moment cannot, because v spans many decades within a block.",
  problemIds: [],
  // measured on a slow day (the whole quick Lab 1.47× its declared costs): upper estimates. Quick:
  // in the whole Lab's run (an --only run adds each worker's TF.js start, ~4 s); full: an --only run.
  cost: 4.8,
  fullCost: 45.6,
  async run(ctx): Promise<ExperimentResult> {
    const { size, seeds, backend, accuracy, trainLoss, curves, quad } = await measure(ctx);
    const ratio = Object.fromEntries(
      CASES.map((c) => [
        c,
        Object.fromEntries(ARMS.map((arm) => [arm, quad[c][arm].at(-1)! / quad[c].float32.at(-1)!])),
      ]),
    ) as Record<Case, Record<Arm, number>>;
    const judgement = judgeStatePrecision({ accuracy, ratio });
    const bytes = bytesPerParam([PIXELS, size.hidden, CLASSES]);
    const steps = curves.float32.length;
    const window = Math.max(1, Math.round(steps / 40));
    const nets = (["MLP", "CNN"] as const).filter((n) => accuracy[n] !== undefined);
    const diffs = (net: NetName, arm: Arm) => {
      const acc = accuracy[net]!;
      return acc[arm].map((a, k) => 100 * (a - acc.float32[k]!));
    };
    const finiteOr = (x: number) => (Number.isFinite(x) ? sig(x, 4) : null);
    const figures = [
      {
        title: "MNIST: training loss by how the state is stored",
        caption: `Minibatch loss (means of ${window} steps), seed ${seeds[0]}: the compact states' curves lie on float32's; the linear 8-bit v's departs where its small v entries round to 0.`,
        spec: lines({
          x: { label: "step" },
          y: { label: "training loss (minibatch)", log: true },
          series: ARMS.map((arm) => ({ name: arm, ...smooth(curves[arm], window) })),
        }),
      },
      {
        title: "MNIST: test accuracy",
        caption: `Test accuracy on ${size.test} digits per state storage${nets.length > 1 ? " and net" : ""} (mean over ${seeds.length} seed${seeds.length > 1 ? "s" : ""}; bars: their range; bytes of state per param on the MLP). Within ${ACC_PP} pp of float32 is the bar for the compact states.`,
        spec: bars({
          categoryLabel: "state stored as",
          y: { label: "test accuracy %" },
          bars: nets.flatMap((net) =>
            ARMS.map((arm) => {
              const acc = accuracy[net]![arm];
              return {
                category: `${arm} (${sig(bytes[arm], 3)} B/param)`,
                ...(nets.length > 1 ? { group: net } : {}),
                value: 100 * mean(acc),
                lo: 100 * Math.min(...acc),
                hi: 100 * Math.max(...acc),
              };
            }),
          ),
        }),
      },
      ...CASES.map((c) => ({
        title: `Quadratic, ${c}: loss per step`,
        caption:
          c === "v-scar"
            ? `One coordinate per block gets a gradient ${SCAR.size}× its own at step ${SCAR.step}: the block's largest v grows 10⁶× and a linear code rounds the block's other entries to 0.`
            : c === "tiny gradients"
              ? "The first quadratic's loss × 10⁻⁶: v near ε², where a storage that drops tiny values would part from float32's curve."
              : "Curvatures log-uniform over 4 decades inside every block of 256: v spans 8.",
        spec: lines({
          x: { label: "step" },
          y: { label: "loss", log: true },
          series: ARMS.map((arm) => ({
            name: arm,
            x: quad[c][arm].map((_, i) => i + 1),
            y: quad[c][arm],
          })),
        }),
      })),
    ];
    return {
      setup: `${ctx.mode} mode. MNIST on TF.js's ${backend} backend: MLP 784 → ${size.hidden} ReLU → 10 (Glorot, seeded), ${size.train} training and ${size.test} test digits, ${size.epochs} epoch${size.epochs > 1 ? "s" : ""} of minibatches of ${BATCH}${size.cnn ? `; CNN conv 5×5 × ${size.cnn.filters} → ReLU → max-pool 2×2 → dense → 10 (Glorot, seeded), ${size.cnn.train} training digits, ${size.cnn.epochs} epoch${size.cnn.epochs > 1 ? "s" : ""}` : " (no CNN in quick mode: its budget has no room)"}. AdamW (lr ${MNIST.lr}, λ ${MNIST.weightDecay}, betas (0.9, 0.999), ε 1e-8) with float32, bfloat16 and int8 state (stateSeed = the seed) and with a linear 8-bit v (m float32; v block-wise, 256 per block, round(255·v/max) to nearest); ${seeds.length} seed${seeds.length > 1 ? "s" : ""} (init and batch order shared by the four). Quadratics: ${size.n} float32 params (blocks of 256), Adam lr ${QUAD_LR}, ${size.steps} steps, the loss at the end ÷ float32 state's.`,
      metrics: {
        bytesPerParam: Object.fromEntries(ARMS.map((a) => [a, sig(bytes[a], 4)])),
        testAccuracy: Object.fromEntries(
          nets.map((n) => [
            n,
            Object.fromEntries(ARMS.map((a) => [a, accuracy[n]![a].map((x) => sig(x, 4))])),
          ]),
        ),
        accuracyMinusFloat32Pp: Object.fromEntries(
          nets.map((n) => [
            n,
            Object.fromEntries(ARMS.slice(1).map((a) => [a, diffs(n, a).map((x) => sig(x, 3))])),
          ]),
        ),
        trainLoss: Object.fromEntries(
          nets.map((n) => [n, Object.fromEntries(ARMS.map((a) => [a, trainLoss[n]![a].map(finiteOr)]))]),
        ),
        lossRatio: Object.fromEntries(
          CASES.map((c) => [c, Object.fromEntries(ARMS.map((a) => [a, finiteOr(ratio[c][a])]))]),
        ),
      },
      keyNumber: `accuracy − float32's: ${nets
        .map(
          (n) =>
            `${n} bf16 ${sig(mean(diffs(n, "bfloat16")), 2)} pp, int8 ${sig(mean(diffs(n, "int8")), 2)} pp, linear 8-bit v ${sig(mean(diffs(n, "linear 8-bit v")), 2)} pp`,
        )
        .join("; ")}`,
      judgement,
      figures,
      seeds,
    };
  },
};
