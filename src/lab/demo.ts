/**
 * `npm run lab` (until the full Lab lands): Adam with L2 vs AdamW vs SGD on one small regression,
 * printing what each did to the weights.
 *
 * Six weights, three kinds of feature: two loud (scale 10), two quiet (scale 0.1) and two silent
 * (always zero, so the data never pushes them). Every weight starts at 1; the truth is 1 for the
 * loud and quiet ones and 0 for the silent ones. All optimizers use weight decay 0.05.
 */
import { adam, adamw, createOptimizer, type Optimizer, type ScaleByAdamState, sgd } from "../index.ts";
import { normal, rng } from "../rng.ts";

const N = 256;
const SCALES = [10, 10, 0.1, 0.1, 0, 0];
const TRUTH = [1, 1, 1, 1, 0, 0];
const STEPS = 3000;
const WD = 0.05;

const gauss = normal(rng(7));
const X = Array.from({ length: N }, () => SCALES.map((s) => s * gauss()));
const y = X.map((x) => x.reduce((acc, v, j) => acc + v * TRUTH[j]!, 0) + 0.1 * gauss());

function gradient(w: Float64Array, g: Float64Array): number {
  g.fill(0);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const x = X[i]!;
    let r = -y[i]!;
    for (let j = 0; j < w.length; j++) r += x[j]! * w[j]!;
    loss += (0.5 * r * r) / N;
    for (let j = 0; j < w.length; j++) g[j]! += (r * x[j]!) / N;
  }
  return loss;
}

function train(tx: Optimizer) {
  const w = new Float64Array(6).fill(1);
  const g = new Float64Array(6);
  const opt = createOptimizer(tx, { w });
  let loss = 0;
  for (let t = 0; t < STEPS; t++) {
    loss = gradient(w, g);
    opt.step({ w: g });
  }
  return { w, loss, state: opt.state };
}

/** Adam's second moment, bias-corrected, read from the optimizer's own state. */
function vHat(state: unknown[]): Float64Array {
  const s = state.find((x) => x !== null && typeof x === "object" && "expAvgSq" in x) as ScaleByAdamState;
  const bc2 = 1 - 0.999 ** s.count;
  return (s.expAvgSq[0] as Float64Array).map((v) => v / bc2);
}

const LR = { sgd: 0.005, adam: 0.01 };
const runs = [
  { name: "SGD + L2", tx: sgd({ lr: LR.sgd, weightDecay: WD }) },
  { name: "Adam + L2", tx: adam({ lr: LR.adam, weightDecay: WD }) },
  { name: "AdamW", tx: adamw({ lr: LR.adam, weightDecay: WD }) },
].map((r) => ({ ...r, ...train(r.tx) }));
const [sgdRun, adamRun, adamwRun] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];

const col = (v: string | number, w = 10) => (typeof v === "number" ? v.toFixed(4) : v).padStart(w);
const header = `${"".padEnd(12)}${["loud w0", "loud w1", "quiet w2", "quiet w3", "silent w4", "silent w5"].map((h) => col(h)).join("")}`;
console.log(`momenta demo: ${STEPS} steps of full-batch least squares, weight decay λ = ${WD}, every weight starts at 1.
Features: two loud (scale 10), two quiet (scale 0.1), two silent (always 0: the data never moves them).

Final weights${" ".repeat(0)}
${header}${"data loss".padStart(12)}
${"truth".padEnd(12)}${TRUTH.map((v) => col(v)).join("")}`);
for (const r of runs)
  console.log(
    `${r.name.padEnd(12)}${Array.from(r.w, (v) => col(v)).join("")}${r.loss.toExponential(2).padStart(12)}`,
  );

// Per-step shrink factor the decay applies to each weight at the end of training.
const adamDecay = Array.from(vHat(adamRun.state), (v) => (LR.adam * WD) / (Math.sqrt(v) + 1e-8));
console.log(`
Decay actually applied per step (fraction of the weight removed by λ alone, at the last step)
${header}
${"SGD + L2".padEnd(12)}${SCALES.map(() => col((LR.sgd * WD).toExponential(1))).join("")}
${"Adam + L2".padEnd(12)}${adamDecay.map((d) => col(d.toExponential(1))).join("")}
${"AdamW".padEnd(12)}${SCALES.map(() => col((LR.adam * WD).toExponential(1))).join("")}

Reading it:
- Adam + L2 divides the decay by √v̂, which each weight's own gradient history sets: the loud weights
  are decayed ${(adamDecay[2]! / adamDecay[0]!).toFixed(0)}× less than the quiet ones, so regularization ends up strongest where
  the data speaks least (quiet weights end at ${col(adamRun.w[2]!).trim()} and ${col(adamRun.w[3]!).trim()} instead of 1).
- Silent weights: their only gradient is λw, which Adam normalizes to a step of about lr, so Adam + L2
  drives them to ${col(adamRun.w[4]!).trim()} almost linearly; AdamW shrinks every weight by the same factor
  (1 − lr·λ) per step, so they end at (1 − ${LR.adam * WD})^${STEPS} = ${((1 - LR.adam * WD) ** STEPS).toFixed(4)} (measured: ${col(adamwRun.w[4]!).trim()});
  SGD + L2 at (1 − ${LR.sgd * WD})^${STEPS} = ${((1 - LR.sgd * WD) ** STEPS).toFixed(4)} (measured: ${col(sgdRun.w[4]!).trim()}).
`);
