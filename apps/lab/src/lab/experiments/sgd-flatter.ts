/**
 * Does SGD end in flatter minima than AdamW? The same MLP is trained on the same digits by SGD with
 * momentum and by AdamW with equal explicit regularization (none: λ = 0 for both, so what differs is
 * the optimizers' implicit bias), each tuned over its own lr grid on the same budget of epochs; its
 * best lr is the one reaching the lowest full-batch training loss by the end (a converged solution).
 * At each optimizer's converged solution, and where its run first reached a matched training loss
 * (the same progress), the trace of the training loss's Hessian is estimated by Hutchinson's method
 * (`hessianTrace`, Hessian-vector products by central differences of TF.js gradients,
 * `finiteDifferenceHvp`); test accuracy is measured too. tr(H) at a fixed loss is set largely by the
 * step size, which is why each optimizer is compared at its own tuned lr, not at an arbitrary pair.
 *
 * The flatness reference: SAM around the same SGD (`sam(sgd(lr, momentum 0.9), { rho: 0.05 })`, the
 * optimizer built to seek flat minima), tuned on SGD's grid and measured the same way. Reported, not
 * judged: if SAM's minima were not flatter than SGD's by this measure, the measure would be suspect.
 */

import type { AnyTransformation, Tree } from "momenta-optim";
import { adamw, createOptimizer, finiteDifferenceHvp, hessianTrace, sam, sgd } from "momenta-optim";
import { tfjsOptimizer } from "momenta-optim/tfjs";
import { type Experiment, type ExperimentResult, gridOf, type Mode, seedsFor } from "../experiment.ts";
import { mean, sig } from "../measure/stats.ts";
import { bars, lines } from "../plot/index.ts";
import { batchOrder, closureStep, evaluate, Mlp, trainStep } from "../problems/mlp.ts";
import { CLASSES, digitTensors, disposeDigits, labBackend, mnistSplit, PIXELS } from "../problems/mnist.ts";

const SIZES: Record<
  Mode,
  {
    train: number;
    test: number;
    hidden: number;
    /** The matched-progress training loss. */
    target: number;
    epochs: number;
    probes: number;
    seeds: number;
    /** Grid points per optimizer (from the list below, centred on its customary lr). */
    grid: number;
    /**
     * Grid points for SAM, the reference (two gradients a step): none in quick mode, where its three
     * lrs cost 31 s a run (40 before), past the quick budget; --full runs it.
     */
    samGrid: number;
  }
> = {
  smoke: {
    train: 200,
    test: 100,
    hidden: 8,
    target: 1.5,
    epochs: 2,
    probes: 3,
    seeds: 1,
    grid: 2,
    samGrid: 2,
  },
  // Two seeds per run: tr(H) at AdamW's larger converged lrs varies 1–5 between seeds, and one seed
  // per run let the verdict follow it.
  quick: {
    train: 1000,
    test: 1000,
    hidden: 32,
    target: 0.1,
    epochs: 20,
    probes: 20,
    seeds: 2,
    grid: 4,
    samGrid: 0,
  },
  // 40 probes: at 60 the standard error was ≈ 3 % of tr(H), against SGD/AdamW ratios of 3.6–69 over
  // five seeds; the probes were a third of the full run's cost.
  full: {
    train: 2000,
    test: 1000,
    hidden: 32,
    target: 0.03,
    epochs: 60,
    probes: 40,
    seeds: 1,
    grid: 6,
    samGrid: 4,
  },
};
const BATCH = 64;
/**
 * A run has converged when its final full-batch training loss is ≤ this × the matched loss (an order
 * of magnitude below where the matched comparison is made).
 */
const CONVERGED = 0.1;
/** Check the full-batch training loss every this many steps (for the matched-progress point and the curve). */
const CHECK_EVERY = 8;
type Name = "SGD" | "AdamW" | "SAM";
/** SAM's neighbourhood radius: Foret et al.'s and Optax's default. */
const RHO = 0.05;
/**
 * Each lr grid, half a decade apart, reaching past where training breaks down on each side. SAM is
 * the reference, on SGD's grid (`grid` picks how many of its lrs a mode runs).
 */
const OPTIMIZERS: {
  name: Name;
  lrs: number[];
  tx: (lr: number) => AnyTransformation;
  text: string;
  grid: (size: (typeof SIZES)[Mode]) => number;
}[] = [
  {
    name: "SGD",
    lrs: [0.01, 0.0316, 0.1, 0.316, 0.00316, 1],
    tx: (lr) => sgd({ lr, momentum: 0.9 }),
    text: "SGD (momentum 0.9)",
    grid: (size) => size.grid,
  },
  {
    name: "AdamW",
    lrs: [0.00316, 0.01, 0.0316, 0.1, 0.001, 0.316],
    tx: (lr) => adamw({ lr, weightDecay: 0 }),
    text: "AdamW (λ 0)",
    grid: (size) => size.grid,
  },
  {
    name: "SAM",
    // centred on SGD's best (0.1 in every run so far), so a 3-point grid is interior too
    lrs: [0.0316, 0.1, 0.316, 0.01, 1, 0.00316],
    tx: (lr) => sam(sgd({ lr, momentum: 0.9 }), { rho: RHO }),
    text: `SAM (ρ ${RHO}) around SGD (momentum 0.9)`,
    grid: (size) => size.samGrid,
  },
];
/** The first `n` of a grid list, sorted: the list is ordered so every prefix is a contiguous grid. */
const gridOfSize = (lrs: readonly number[], n: number) => [...lrs.slice(0, n)].sort((a, b) => a - b);

export interface FlatnessMeasurements {
  /**
   * Per seed, tr(H) of SGD's and of AdamW's flattest converged solution: the smallest over the lrs of
   * its grid whose final training loss is ≤ CONVERGED × the matched loss (its best lr's when none is).
   */
  sgdTrace: number[];
  adamwTrace: number[];
  /** Per seed, tr(H) at each optimizer's best lr (lowest final loss), for the record. */
  atBest?: { sgd: number[]; adamw: number[] };
  /** Per seed, tr(H) where each best run first reached the matched training loss (absent: not both reached it). */
  matched?: { sgd: number[]; adamw: number[] };
  /** Per seed, tr(H) of SAM's flattest converged solution (the reference; not judged). */
  samTrace?: number[];
  /** Whether every run reached the target training loss. */
  reached: boolean;
  /** Mean ‖θ‖ of the solutions (tr(H) depends on the weights' scale), reported in the reason. */
  sgdNorm?: number;
  adamwNorm?: number;
}

/**
 * Judged at converged solutions with equal explicit regularization (none), each optimizer over its
 * own lr grid: the flattest minimum each reaches. (Its best lr alone would not do: the two lrs with
 * the lowest final losses are often within a few per cent of each other, and tr(H) at convergence
 * scales with the lr, so which one wins would decide the ratio.) Holds when SGD's trace is smaller in every seed and the geometric mean of SGD/AdamW is ≤ 0.8; does
 * not hold otherwise (the reason says which way it leans). 0.8: with these probe counts Hutchinson's
 * standard error (reported per run) is a few per cent of the trace, so a 20 % gap is well beyond
 * twice it, and a flatness difference smaller than that would not be the "flatter basin" the seed
 * describes. When a run misses the target loss the comparison is not at equal loss, which the reason
 * states.
 */
export function judgeFlatness(m: FlatnessMeasurements): ExperimentResult["judgement"] {
  // A Hutchinson estimate ≤ 0 means its probe noise exceeds the trace: no ratio to judge.
  if ([...m.sgdTrace, ...m.adamwTrace].some((t) => !(t > 0))) {
    return {
      verdict: "inconclusive",
      reason: `A Hutchinson estimate of tr(H) is not positive (SGD ${m.sgdTrace.map((t) => sig(t, 3)).join(", ")}; AdamW ${m.adamwTrace.map((t) => sig(t, 3)).join(", ")}): the probes' noise exceeds the trace, so the two cannot be compared.`,
    };
  }
  const ratios = m.sgdTrace.map((s, i) => s / m.adamwTrace[i]!);
  const gm = Math.exp(mean(ratios.map(Math.log)));
  const all = ratios.every((r) => r < 1);
  const nums = `flattest converged minimum tr(H) SGD/AdamW = ${sig(gm, 3)} (geometric mean over ${ratios.length} seed${ratios.length > 1 ? "s" : ""}; per seed ${ratios.map((r) => sig(r, 2)).join(", ")}), mean tr(H) SGD ${sig(mean(m.sgdTrace), 3)} vs AdamW ${sig(mean(m.adamwTrace), 3)}`;
  const norms =
    m.sgdNorm !== undefined && m.adamwNorm !== undefined
      ? `; weight norms ${sig(m.sgdNorm, 3)} (SGD) vs ${sig(m.adamwNorm, 3)} (AdamW)`
      : "";
  const matched =
    m.matched && m.matched.sgd.length > 0
      ? `; at matched training loss tr(H) SGD/AdamW = ${sig(Math.exp(mean(m.matched.sgd.map((x, i) => Math.log(x / m.matched!.adamw[i]!)))), 3)}`
      : "";
  const atBest =
    m.atBest?.sgd.every((t) => t > 0) && m.atBest.adamw.every((t) => t > 0)
      ? `; at each one's best lr (lowest final loss) SGD/AdamW = ${sig(Math.exp(mean(m.atBest.sgd.map((x, i) => Math.log(x / m.atBest!.adamw[i]!)))), 3)}`
      : "";
  const sam =
    m.samTrace?.length && m.samTrace.every((t) => t > 0)
      ? `; the reference, SAM around the same SGD: flattest converged tr(H) SAM/SGD = ${sig(Math.exp(mean(m.samTrace!.map((x, i) => Math.log(x / m.sgdTrace[i]!)))), 3)}`
      : "";
  const caveat = `${atBest}${matched}${norms}${sam}${m.reached ? "" : "; not every run converged (reached the matched loss), so the losses differ"}`;
  const deciding = {
    label: "flattest converged minimum, tr(H) SGD/AdamW (geometric mean over seeds)",
    value: gm,
    threshold: "≤ 0.8 in every seed",
  };
  if (gm <= 0.8 && all)
    return {
      verdict: "holds",
      reason: `${nums}: SGD's minimum is flatter in every seed${caveat}.`,
      deciding,
    };
  // Evidence against: AdamW's minimum flatter by the same margin in every seed. In between, the
  // test resolves no 20 % difference either way: inconclusive, not "does not hold".
  if (gm >= 1.25 && ratios.every((r) => r > 1))
    return {
      verdict: "does not hold",
      reason: `${nums}: AdamW's minimum is the flatter one in every seed${caveat}.`,
      deciding,
    };
  return {
    verdict: "inconclusive",
    reason: `${nums}: no consistent difference of 20 % either way (the smallest this test counts, beyond twice Hutchinson's standard error)${caveat}.`,
    deciding,
  };
}

function norm(values: readonly Float32Array[]): number {
  let s = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

export const experiment: Experiment = {
  id: "sgd-flatter",
  title: "SGD's minima are flatter (Hessian trace)",
  claim:
    "Even when both reach equally low training loss, SGD tends to settle in flatter, wider minima than AdamW, as measured by the trace of the Hessian at the solution — a proposed reason it often generalizes better.",
  problemIds: ["3169319", "3135733"],
  cost: 44,
  fullCost: 256,
  async run(ctx) {
    const size = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, size.seeds);
    const backend = await labBackend();
    const split = mnistSplit(size.train, size.test);
    const train = digitTensors(split.train);
    const test = digitTensors(split.test);
    type Run = {
      lr: number;
      finalLoss: number;
      reachedAt: number | null;
      curve: { step: number; loss: number }[];
      trace: number;
      stderr: number | null;
      matchedTrace: number | null;
      testAccuracy: number;
      weightNorm: number;
    };
    /** A run of the sweep, with the weights its traces are measured at. */
    type Sweep = Run & { endValues: Float32Array[]; matchedValues: Float32Array[] | null };
    /** tr(H) of the full-batch training loss at the given weights (a net of this shape computes it). */
    const traceAt = (net: Mlp, values: Float32Array[], seed: number) => {
      const tree = net.tree(values);
      // The data loss's Hessian (no decay term), over the whole training set.
      const grad = (p: Tree) =>
        net.tree(
          net.gradientAt(
            net.names.map((n) => (p as Record<string, { data: Float32Array }>)[n]!.data),
            train.x,
            train.y,
          ),
        );
      return hessianTrace(finiteDifferenceHvp(grad, tree), tree, { samples: size.probes, seed: seed + 11 });
    };
    /**
     * One training run on the budget, with tr(H) at its end if it converged. The weights at its end
     * and where it first reached the matched loss are kept, so the best lr's traces are measured
     * afterwards without training it again.
     */
    const trainRun = (o: (typeof OPTIMIZERS)[number], lr: number, seed: number): Sweep => {
      const net = new Mlp({ sizes: [PIXELS, size.hidden, CLASSES], activation: "relu", seed });
      const tx = o.tx(lr);
      // A closure transform (SAM) steps through momenta's own optimizer on the net's values.
      const closure = tx.updateWithClosure ? createOptimizer(tx, net.tree()) : null;
      const opt = closure ? null : tfjsOptimizer(tx);
      try {
        const curve: { step: number; loss: number }[] = [];
        const fullLoss = () => evaluate(net, train).loss;
        curve.push({ step: 0, loss: fullLoss() });
        let step = 0;
        let reachedAt: number | null = null;
        let matchedValues: Float32Array[] | null = null;
        for (const idx of batchOrder(train.size, BATCH, size.epochs, seed + 7)) {
          if (closure) closureStep(net, closure, train, idx);
          else trainStep(net, opt!, train, idx);
          step++;
          if (step % CHECK_EVERY === 0) {
            const loss = fullLoss();
            curve.push({ step, loss });
            if (reachedAt === null && loss <= size.target) {
              reachedAt = step;
              matchedValues = net.values();
            }
          }
        }
        const finalLoss = fullLoss();
        const endValues = net.values();
        const converged = Number.isFinite(finalLoss) && finalLoss <= CONVERGED * size.target;
        const h = converged ? traceAt(net, endValues, seed) : { trace: Number.NaN, stderr: null };
        return {
          lr,
          finalLoss: Number.isFinite(finalLoss) ? finalLoss : Infinity,
          reachedAt,
          curve,
          trace: h.trace,
          stderr: h.stderr,
          matchedTrace: null,
          testAccuracy: evaluate(net, test).accuracy,
          weightNorm: norm(endValues),
          endValues,
          matchedValues,
        };
      } finally {
        opt?.dispose();
        closure?.dispose();
        net.dispose();
      }
    };
    /** The best lr's run completed: tr(H) at its end (if the sweep skipped it) and at the matched loss. */
    const probeBest = (run: Sweep, seed: number): Run => {
      const { endValues, matchedValues, ...rest } = run;
      const net = new Mlp({ sizes: [PIXELS, size.hidden, CLASSES], activation: "relu", seed });
      try {
        const end = Number.isFinite(run.trace) ? run : traceAt(net, endValues, seed);
        return {
          ...rest,
          trace: end.trace,
          stderr: end.stderr,
          matchedTrace: matchedValues === null ? null : traceAt(net, matchedValues, seed).trace,
        };
      } finally {
        net.dispose();
      }
    };
    const grids = Object.fromEntries(
      OPTIMIZERS.map((o) => [o.name, gridOfSize(o.lrs, o.grid(size))]),
    ) as Record<Name, number[]>;
    /** Per seed: every lr's run; the best lr's, with its traces completed. */
    const sweeps: Record<Name, Run[][]> = { SGD: [], AdamW: [], SAM: [] };
    const runs: Record<Name, Run[]> = { SGD: [], AdamW: [], SAM: [] };
    /** The optimizers this mode runs (SAM only where its grid is not empty). */
    const present = OPTIMIZERS.filter((o) => grids[o.name].length > 0);
    const total = seeds.length * present.reduce((n, o) => n + grids[o.name].length + 1, 0);
    let done = 0;
    try {
      for (const seed of seeds) {
        for (const o of present) {
          const sweep = grids[o.name].map((lr) => {
            const r = trainRun(o, lr, seed);
            ctx.progress(++done / total, `seed ${seed}: ${o.name} lr ${lr}`);
            return r;
          });
          const best = sweep.reduce((a, b) => (b.finalLoss < a.finalLoss ? b : a));
          sweeps[o.name].push(sweep.map(({ endValues: _e, matchedValues: _m, ...r }) => r));
          runs[o.name].push(probeBest(best, seed));
          ctx.progress(++done / total, `seed ${seed}: ${o.name} at lr ${best.lr}, tr(H)`);
        }
      }
    } finally {
      disposeDigits(train, test);
    }
    const bothMatched = seeds.map(
      (_, i) => runs.SGD[i]!.matchedTrace !== null && runs.AdamW[i]!.matchedTrace !== null,
    );
    /** Per seed, the smallest tr(H) over the converged lrs (the best lr's when none converged). */
    const flattest = (name: Name) =>
      sweeps[name].map((sw, i) => {
        const traces = sw.map((c) => c.trace).filter((t) => Number.isFinite(t));
        return traces.length > 0 ? Math.min(...traces) : runs[name][i]!.trace;
      });
    const m: FlatnessMeasurements = {
      sgdTrace: flattest("SGD"),
      adamwTrace: flattest("AdamW"),
      ...(grids.SAM.length > 0 ? { samTrace: flattest("SAM") } : {}),
      atBest: { sgd: runs.SGD.map((r) => r.trace), adamw: runs.AdamW.map((r) => r.trace) },
      matched: {
        sgd: runs.SGD.filter((_, i) => bothMatched[i]).map((r) => r.matchedTrace!),
        adamw: runs.AdamW.filter((_, i) => bothMatched[i]).map((r) => r.matchedTrace!),
      },
      reached: [...runs.SGD, ...runs.AdamW].every((r) => r.reachedAt !== null),
      sgdNorm: mean(runs.SGD.map((r) => r.weightNorm)),
      adamwNorm: mean(runs.AdamW.map((r) => r.weightNorm)),
    };
    const judgement = judgeFlatness(m);
    const per = (name: Name) => ({
      lrGrid: grids[name],
      finalLossByLr: sweeps[name].map((sw) =>
        sw.map((c) => (Number.isFinite(c.finalLoss) ? sig(c.finalLoss, 4) : null)),
      ),
      // tr(H) at the end of each converged run (null: not converged).
      traceByLr: sweeps[name].map((sw) => sw.map((c) => (Number.isFinite(c.trace) ? sig(c.trace, 4) : null))),
      flattestTrace: flattest(name).map((t) => sig(t, 4)),
      bestLr: runs[name].map((r) => r.lr),
      trace: runs[name].map((r) => sig(r.trace, 4)),
      traceStderr: runs[name].map((r) => (r.stderr === null ? null : sig(r.stderr, 3))),
      matchedTrace: runs[name].map((r) => (r.matchedTrace === null ? null : sig(r.matchedTrace, 4))),
      finalTrainLoss: runs[name].map((r) => sig(r.finalLoss, 4)),
      reachedMatchedLossAt: runs[name].map((r) => r.reachedAt),
      testAccuracy: runs[name].map((r) => sig(r.testAccuracy, 4)),
      weightNorm: runs[name].map((r) => sig(r.weightNorm, 4)),
    });
    const gm = Math.exp(mean(m.sgdTrace.map((s, i) => Math.log(s / m.adamwTrace[i]!))));
    const samOverSgd =
      m.samTrace && [...m.samTrace, ...m.sgdTrace].every((t) => t > 0)
        ? Math.exp(mean(m.samTrace.map((x, i) => Math.log(x / m.sgdTrace[i]!))))
        : null;
    return {
      setup: `${ctx.mode} mode on TF.js's ${backend} backend: MLP 784 → ${size.hidden} ReLU → 10 (Glorot-uniform, seeded), cross-entropy, ${size.train} MNIST training digits, ${size.test} test digits, minibatches of ${BATCH}. ${present.map((o) => `${o.text} with lr ∈ {${grids[o.name].join(", ")}}`).join(", ")}${grids.SAM.length > 0 ? " (SAM: the flatness reference, reported, not judged; it steps through momenta's own optimizer with a closure, one minibatch per step, its second gradient on the same minibatch)" : " (SAM, the flatness reference, runs in --full only)"}, equal explicit regularization (none), from the same initial weights and batch order, ${size.epochs} epochs each; each optimizer's best lr = the lowest full-batch training loss at the end (its converged solution), where tr(H) is measured, and again where that run first reached the matched training loss ${size.target} (checked every ${CHECK_EVERY} steps). tr(H) of the full-batch training cross-entropy (no decay term) by Hutchinson with ${size.probes} Rademacher probes; H·v by central differences of TF.js gradients in float32 (ε = ∛(2⁻²³)·(1 + ‖θ‖)/‖v‖, the default of finiteDifferenceHvp; a ReLU net's Hessian is piecewise, so this is curvature smoothed over that scale). ${seeds.length} seed${seeds.length > 1 ? "s" : ""}. Note: tr(H) is not invariant to rescaling ReLU layers (W₁·α, W₂/α), so the weight norms are reported beside it.`,
      metrics: {
        traceRatioSgdOverAdamw: Number.isFinite(gm) ? sig(gm, 4) : null,
        ...(m.samTrace ? { traceRatioSamOverSgd: samOverSgd === null ? null : sig(samOverSgd, 4) } : {}),
        SGD: per("SGD"),
        AdamW: per("AdamW"),
        ...(m.samTrace ? { SAM: per("SAM") } : {}),
        allReachedTarget: m.reached,
      },
      keyNumber: `flattest converged minimum tr(H) SGD/AdamW = ${sig(gm, 3)}; at each one's best lr (SGD ${runs.SGD.map((r) => r.lr).join("/")}, AdamW ${runs.AdamW.map((r) => r.lr).join("/")}) ${sig(Math.exp(mean(runs.SGD.map((r, i) => Math.log(r.trace / runs.AdamW[i]!.trace)))), 3)}${m.samTrace ? `; reference SAM/SGD ${samOverSgd === null ? "— (a trace estimate ≤ 0)" : sig(samOverSgd, 3)}` : ""}`,
      judgement,
      figures: [
        // (Only when some run converged: the smoke run's do not.)
        ...(Object.values(sweeps).some((list) => list.some((sw) => sw.some((c) => Number.isFinite(c.trace))))
          ? [
              {
                title: "Hessian trace against the lr, converged runs",
                caption:
                  "tr(H) (log) at the end of every run of each grid that converged (final training loss ≤ 0.1 × the matched loss), per seed: the larger the lr, the flatter the minimum it can settle in, for both — which is why each optimizer's flattest converged minimum is compared, not one arbitrary lr pair.",
                spec: lines({
                  x: { label: "lr", log: true },
                  y: { label: "tr(H) of the training loss", log: true },
                  series: present.flatMap((o) =>
                    sweeps[o.name].map((sw, i) => {
                      const ok = sw.filter((c) => Number.isFinite(c.trace) && c.trace > 0);
                      return {
                        name: `${o.name} seed ${seeds[i]}`,
                        x: ok.map((c) => c.lr),
                        y: ok.map((c) => c.trace),
                      };
                    }),
                  ),
                }),
              },
            ]
          : []),
        {
          title: "Hessian trace at each optimizer's best lr",
          caption:
            "Hutchinson estimate of tr(H) per seed at the end of each optimizer's best-lr run (lowest final training loss); error bars ±2 standard errors of the probes. Lower is flatter.",
          spec: bars({
            categoryLabel: "seed",
            y: { label: "tr(H) of the training loss" },
            bars: seeds.flatMap((seed, i) =>
              present.map((o) => {
                const r = runs[o.name][i]!;
                const e = 2 * (r.stderr ?? 0);
                return {
                  category: String(seed),
                  group: o.name,
                  value: r.trace,
                  lo: r.trace - e,
                  hi: r.trace + e,
                };
              }),
            ),
          }),
        },
        {
          title: "Training loss at each optimizer's best lr",
          caption: `Full-batch training loss (log) of each best-lr run over the whole budget; the dashed line is the matched loss ${size.target}, where the trace is also measured.`,
          spec: lines({
            x: { label: "step" },
            y: { label: "full-batch training loss", log: true },
            series: present.flatMap((o) =>
              runs[o.name].map((r, i) => ({
                name: `${o.name} seed ${seeds[i]}`,
                x: r.curve.map((c) => c.step),
                y: r.curve.map((c) => c.loss),
              })),
            ),
            rules: [{ y: size.target, label: "target" }],
          }),
        },
        {
          title: "Test accuracy at the solution",
          caption: "Held-out accuracy at the same points; error bars: range over seeds.",
          spec: bars({
            categoryLabel: "optimizer",
            y: { label: "test accuracy" },
            bars: present.map((o) => {
              const a = runs[o.name].map((r) => r.testAccuracy);
              return { category: o.name, value: mean(a), lo: Math.min(...a), hi: Math.max(...a) };
            }),
          }),
        },
      ],
      grids: present.flatMap((o) =>
        sweeps[o.name].map((sw, i) =>
          gridOf(
            seeds.length > 1 ? `${o.text}, seed ${seeds[i]}` : o.text,
            "lr",
            sw.map((c) => ({ value: c.lr, score: -c.finalLoss })),
            runs[o.name][i]!.lr,
          ),
        ),
      ),
      seeds,
    };
  },
};
