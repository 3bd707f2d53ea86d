/**
 * Weight decay and a rare class. One digit is made rare in MNIST; an MLP is trained with AdamW without
 * decay, with uniform decoupled decay, with uniform decay plus a class-weighted loss, and with
 * class-conditional decay (no decay on the rare class's output weights — its own leaves, through
 * AdamW's mask). Measured: the rare digit's test recall and the norms of its output weights vs the
 * other classes'.
 */
import { adamw } from "momenta-optim";
import { type Experiment, type ExperimentResult, type Mode, seedsFor } from "../experiment.ts";
import { mean, sig } from "../measure/stats.ts";
import { bars } from "../plot/index.ts";
import { evaluate, Mlp, trainMlp } from "../problems/mlp.ts";
import {
  CLASSES,
  classCounts,
  digitTensors,
  disposeDigits,
  labBackend,
  makeRare,
  mnistSplit,
  PIXELS,
  swapLabels,
} from "../problems/mnist.ts";

const SIZES: Record<Mode, { train: number; test: number; epochs: number; hidden: number; seeds: number }> = {
  smoke: { train: 300, test: 100, epochs: 1, hidden: 8, seeds: 1 },
  quick: { train: 3000, test: 1000, epochs: 4, hidden: 64, seeds: 3 },
  full: { train: 5000, test: 2000, epochs: 6, hidden: 64, seeds: 2 },
};
/** The rare digit, and the share of its training examples kept (1:20, a common "severe" imbalance). */
const RARE = 5;
const KEEP = 0.05;
const LAST = CLASSES - 1;
const BATCH = 64;
const LR = 1e-3;
/**
 * λ is set so that decay alone would shrink a weight by e^−0.5 over the run (lr·λ·steps = 0.5): strong
 * enough to matter within a short run (PyTorch's default 0.01 would shrink by < 0.2 % here), not so
 * strong that it dominates every gradient.
 */
const DECAY_BUDGET = 0.5;

type Arm = "no decay" | "AdamW" | "AdamW + class-weighted loss" | "AdamW, class-conditional decay";
const ARMS: Arm[] = ["no decay", "AdamW", "AdamW + class-weighted loss", "AdamW, class-conditional decay"];

export interface ImbalanceMeasurements {
  /** Rare-class test recall per arm (mean over seeds). */
  recall: Record<Arm, number>;
  /** ‖rare output column‖ / mean ‖other output column‖, per arm. */
  normRatio: Record<Arm, number>;
  /** Rare test examples × seeds, for the margin. */
  trials: number;
}

/**
 * "Decay hurts the rare class more" when uniform decay lowers the rare/other output-norm ratio
 * (vs no decay) by ≥ 10 % and lowers the rare recall by more than the margin. A fix works when it
 * raises the rare recall over plain AdamW by more than the margin. The margin is twice the binomial
 * standard error of a recall at its most uncertain (p = ½) over the rare test examples of all seeds,
 * 2·½/√trials — a difference smaller than that could be which digits happened to be rare. 10 % on the
 * norm ratio: smaller changes are within the seed-to-seed spread of these norms.
 */
export function judgeImbalance(m: ImbalanceMeasurements): ExperimentResult["judgement"] {
  const margin = 1 / Math.sqrt(m.trials);
  const pp = (x: number) => `${sig(100 * x, 3)} %`;
  const shrink = m.normRatio.AdamW / m.normRatio["no decay"];
  const recallDrop = m.recall["no decay"] - m.recall.AdamW;
  const harm = shrink <= 0.9 && recallDrop > margin;
  const fixes = (["AdamW + class-weighted loss", "AdamW, class-conditional decay"] as const).filter(
    (a) => m.recall[a] - m.recall.AdamW > margin,
  );
  const nums = `rare-digit recall: no decay ${pp(m.recall["no decay"])}, AdamW ${pp(m.recall.AdamW)}, + class-weighted loss ${pp(m.recall["AdamW + class-weighted loss"])}, class-conditional decay ${pp(m.recall["AdamW, class-conditional decay"])} (margin ${sig(100 * margin, 2)} pp); uniform decay changes the rare/other output-norm ratio by ×${sig(shrink, 3)}`;
  const deciding = {
    label: "rare-digit recall lost to uniform decay, no decay − AdamW (pp)",
    value: 100 * recallDrop,
    threshold: `> ${sig(100 * margin, 2)} pp with the rare/other norm ratio ×≤ 0.9`,
  };
  // A drop larger than the margin needs recall above it to begin with: below, harm cannot be seen.
  const floor = m.recall["no decay"] <= margin;
  if (harm && fixes.length > 0) {
    return {
      verdict: "holds",
      reason: `${nums}: decay shrinks and hurts the rare class more, and ${fixes.join(" and ")} recover${fixes.length > 1 ? "" : "s"} it.`,
      deciding,
    };
  }
  if (harm) {
    return {
      verdict: "holds only when limited to the harm: neither fix recovers the rare class's recall",
      reason: `${nums}.`,
      deciding,
    };
  }
  if (fixes.length > 0 && floor) {
    return {
      verdict: `holds only when judged by the fix (${fixes.join(" or ")}): the harm is below what this test resolves`,
      reason: `${nums}: without decay the rare digit's recall is already ${pp(m.recall["no decay"])}, under the ${sig(100 * margin, 2)} pp margin, so no loss to decay can clear it (the drop to ${pp(m.recall.AdamW)} is not resolved); the fix's gain is.`,
      deciding,
    };
  }
  if (fixes.length > 0) {
    return {
      verdict: `holds only when the fix is ${fixes.join(" or ")}: uniform decay itself does not measurably hurt the rare class`,
      reason: `${nums}: uniform decay does not shrink or hurt the rare class more by the margins (≥ 10 % on the norm ratio and the recall margin).`,
      deciding,
    };
  }
  if (floor)
    return {
      verdict: "inconclusive",
      reason: `${nums}: the rare digit's recall is ${pp(m.recall["no decay"])} even without decay, under the ${sig(100 * margin, 2)} pp margin: this test cannot see a harm, and no fix cleared its margin.`,
      deciding,
    };
  return {
    verdict: "does not hold",
    reason: `${nums}: neither the harm nor a fix clears its margin.`,
    deciding,
  };
}

function columnNorms(w: Float32Array, rows: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += w[r * cols + c]! ** 2;
    return Math.sqrt(s);
  });
}

export const experiment: Experiment = {
  id: "imbalance",
  title: "Weight decay and a rare class",
  claim:
    "Uniform weight decay, even AdamW's decoupled kind, shrinks the weights that recognise a minority class disproportionately, because their data gradients are weaker; reweighting the loss or class-conditional regularization fixes it.",
  problemIds: ["3169479"],
  cost: 14,
  fullCost: 31,
  async run(ctx) {
    const size = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, size.seeds);
    const backend = await labBackend();
    const split = mnistSplit(size.train, size.test);
    // The rare digit moves to the last output column, whose weights are leaves of their own.
    const trainSet = swapLabels(makeRare(split.train, RARE, KEEP), RARE, LAST);
    const testSet = swapLabels(split.test, RARE, LAST);
    const counts = classCounts(trainSet.labels);
    const train = digitTensors(trainSet);
    const test = digitTensors(testSet);
    const steps = size.epochs * Math.ceil(train.size / BATCH);
    const lambda = DECAY_BUDGET / (LR * steps);
    // Class weights ∝ 1/count, normalized to mean 1 over the training examples.
    const raw = Float32Array.from(trainSet.labels, (l) => 1 / counts[l]!);
    const scale = raw.length / raw.reduce((a, b) => a + b, 0);
    const weights = raw.map((w) => w * scale);
    const rareTest = testSet.labels.reduce((n, l) => n + (l === LAST ? 1 : 0), 0);
    const results: Record<
      Arm,
      {
        recall: number[];
        accuracy: number[];
        balanced: number[];
        normRatio: number[];
        rareNorm: number[];
        otherNorm: number[];
      }
    > = Object.fromEntries(
      ARMS.map((a) => [
        a,
        { recall: [], accuracy: [], balanced: [], normRatio: [], rareNorm: [], otherNorm: [] },
      ]),
    ) as never;
    let done = 0;
    try {
      for (const seed of seeds) {
        for (const arm of ARMS) {
          const net = new Mlp({
            sizes: [PIXELS, size.hidden, CLASSES],
            activation: "relu",
            splitLast: true,
            seed,
          });
          try {
            const isWeight = (path: string) => /\/w\d+(_last)?$/.test(path);
            const mask =
              arm === "AdamW, class-conditional decay"
                ? (path: string) => isWeight(path) && !path.endsWith("_last")
                : isWeight;
            const tx = adamw({ lr: LR, weightDecay: arm === "no decay" ? 0 : lambda, mask });
            const r = trainMlp(net, tx, train, {
              epochs: size.epochs,
              batchSize: BATCH,
              seed: seed + 7,
              ...(arm === "AdamW + class-weighted loss" ? { weights } : {}),
            });
            const ev = evaluate(net, test, r.evalValues);
            const perClass = new Array<number>(CLASSES).fill(0);
            const right = new Array<number>(CLASSES).fill(0);
            testSet.labels.forEach((l, i) => {
              perClass[l]!++;
              if (ev.predictions[i] === l) right[l]!++;
            });
            const recalls = perClass.map((n, c) => (n > 0 ? right[c]! / n : 0));
            const L = net.depth;
            const wRest = r.evalValues[net.names.indexOf(`${net.prefix}/w${L}`)]!;
            const wLast = r.evalValues[net.names.indexOf(`${net.prefix}/w${L}_last`)]!;
            const others = columnNorms(wRest, size.hidden, CLASSES - 1);
            const rareNorm = columnNorms(wLast, size.hidden, 1)[0]!;
            const res = results[arm];
            res.recall.push(recalls[LAST]!);
            res.accuracy.push(ev.accuracy);
            res.balanced.push(mean(recalls));
            res.rareNorm.push(rareNorm);
            res.otherNorm.push(mean(others));
            res.normRatio.push(rareNorm / mean(others));
          } finally {
            net.dispose();
          }
          ctx.progress(++done / (seeds.length * ARMS.length), `seed ${seed}: ${arm}`);
        }
      }
    } finally {
      disposeDigits(train, test);
    }
    const avg = (k: "recall" | "normRatio") =>
      Object.fromEntries(ARMS.map((a) => [a, mean(results[a][k])])) as Record<Arm, number>;
    const m: ImbalanceMeasurements = {
      recall: avg("recall"),
      normRatio: avg("normRatio"),
      trials: rareTest * seeds.length,
    };
    const judgement = judgeImbalance(m);
    const range = (v: number[]) => ({ value: mean(v), lo: Math.min(...v), hi: Math.max(...v) });
    return {
      setup: `${ctx.mode} mode on TF.js's ${backend} backend: digit ${RARE} made rare — ${counts[LAST]} of the ${size.train} split's training digits kept as ${RARE}s (${KEEP * 100} % of them), ${train.size} training digits in all; test on ${size.test} held-out digits (${rareTest} of them ${RARE}s). MLP 784 → ${size.hidden} ReLU → 10 (seeded Glorot init; the ${RARE}s' output column and bias are leaves of their own), cross-entropy, AdamW lr ${LR}, ${size.epochs} epochs of minibatches of ${BATCH} (${steps} steps). Arms: no decay; uniform decoupled decay λ = ${sig(lambda, 3)} on every weight matrix (lr·λ·steps = ${DECAY_BUDGET}); the same plus a class-weighted loss (weights ∝ 1/class count); class-conditional decay (λ on every weight matrix except the ${RARE}s' output column). Biases never decay. ${seeds.length} seed${seeds.length > 1 ? "s" : ""}.`,
      metrics: {
        rareDigit: RARE,
        trainCounts: counts,
        lambda: sig(lambda, 4),
        rareTestExamples: rareTest,
        arms: Object.fromEntries(
          ARMS.map((a) => [
            a,
            {
              rareRecall: results[a].recall.map((v) => sig(v, 4)),
              accuracy: results[a].accuracy.map((v) => sig(v, 4)),
              balancedAccuracy: results[a].balanced.map((v) => sig(v, 4)),
              rareOutputNorm: results[a].rareNorm.map((v) => sig(v, 4)),
              otherOutputNorm: results[a].otherNorm.map((v) => sig(v, 4)),
              normRatio: results[a].normRatio.map((v) => sig(v, 4)),
            },
          ]),
        ),
      },
      keyNumber: `rare-digit recall: no decay ${sig(100 * m.recall["no decay"], 3)} %, AdamW ${sig(100 * m.recall.AdamW, 3)} %, weighted ${sig(100 * m.recall["AdamW + class-weighted loss"], 3)} %, class-cond. ${sig(100 * m.recall["AdamW, class-conditional decay"], 3)} %`,
      judgement,
      figures: [
        {
          title: `Recall of the rare digit ${RARE}`,
          caption: `Test recall of the rare digit per arm, and the balanced accuracy (mean recall over digits) beside it; error bars: range over seeds. The claim: uniform decay lowers the rare recall; reweighting or class-conditional decay brings it back.`,
          spec: bars({
            categoryLabel: "arm",
            y: { label: "test recall / balanced accuracy", domain: [0, 1] },
            bars: ARMS.flatMap((a) => [
              { category: a, group: `recall of ${RARE}`, ...range(results[a].recall) },
              { category: a, group: "balanced accuracy", ...range(results[a].balanced) },
            ]),
          }),
        },
        {
          title: "Output-weight norms",
          caption: `‖output column‖ of the rare digit vs the mean over the other digits, per arm; error bars: range over seeds. "Shrinks the minority more" means decay lowers the rare column relative to the others.`,
          spec: bars({
            categoryLabel: "arm",
            y: { label: "‖output weights‖ of a class" },
            bars: ARMS.flatMap((a) => [
              { category: a, group: `digit ${RARE} (rare)`, ...range(results[a].rareNorm) },
              { category: a, group: "other digits (mean)", ...range(results[a].otherNorm) },
            ]),
          }),
        },
      ],
      seeds,
    };
  },
};
