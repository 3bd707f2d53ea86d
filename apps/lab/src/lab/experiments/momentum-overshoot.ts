/**
 * momentum-overshoot: an optimizer's state is inertia. Train on a slope long enough to build momentum,
 * then switch to a new task and start exactly at its minimum: a fresh optimizer stays put (the
 * gradient there is 0), one carrying its old state keeps moving.
 *
 * 1-D, deterministic. Old task: f₁(x) = s·x (constant gradient s = 1) for N steps. New task: a valley
 * f₂(x) = A·(1 − cos(πx/w)) with half-width w = 1 (ridges — local maxima — at ±w, the next valleys at
 * ±2w) and A = s·w/π, so its steepest gradient equals the old slope's. The new run starts at x = 0
 * with the optimizer's state carried over (its count included), and runs `horizon` steps.
 */
import { adam, createOptimizer, type GradientTransformation, sgd } from "momenta-optim";
import type { Context, Experiment, ExperimentResult, Judgement } from "../experiment.ts";
import { sig } from "../measure/stats.ts";
import { heatmap, lines } from "../plot/index.ts";

const W = 1;
const SLOPE = 1;
const A = (SLOPE * W) / Math.PI;
const LRS = [0.01, 0.03, 0.1, 0.3];
const NS = [10, 100, 1000];
/** Settled = within 1 % of the half-width of the valley it ends in, for good. */
const SETTLE = 0.01 * W;

type Name = "adam" | "sgd-momentum";
const MAKE: Record<Name, (lr: number) => GradientTransformation<unknown>> = {
  adam: (lr) => adam({ lr }),
  "sgd-momentum": (lr) => sgd({ lr, momentum: 0.9 }),
};

export interface OvershootCell {
  optimizer: Name;
  lr: number;
  slopeSteps: number;
  /** max |x| / w after the switch. */
  excursion: number;
  /** Index of the valley it ends in (0 = the one it started at the bottom of). */
  finalValley: number;
  /** Steps until it stays within 1 % of w of its final valley's bottom; null if not within the horizon. */
  settleSteps: number | null;
  /** The same for a fresh optimizer (0: it never moves). */
  freshExcursion: number;
}

export interface OvershootMeasurements {
  cells: OvershootCell[];
}

/**
 * "Thrown out of the minimum" means crossing the ridge at |x| = w into another valley (final valley
 * ≠ 0, or an excursion ≥ w); the fresh optimizer must stay put (excursion < 1e-12, i.e. exactly 0 up
 * to rounding). The claim says it *can* happen, so one Adam cell suffices for "holds only when …"
 * and the condition is read off the grid: the smallest lr at which Adam is thrown out.
 */
export function judgeMomentumOvershoot(m: OvershootMeasurements): Judgement {
  const adamCells = m.cells.filter((c) => c.optimizer === "adam");
  const fresh = Math.max(...m.cells.map((c) => c.freshExcursion));
  const out = adamCells.filter((c) => c.finalValley !== 0 || c.excursion >= 1);
  const sgdOut = m.cells.filter(
    (c) => c.optimizer === "sgd-momentum" && (c.finalValley !== 0 || c.excursion >= 1),
  );
  const maxExc = Math.max(...adamCells.map((c) => c.excursion));
  const sgdText = `SGD with momentum 0.9 is thrown out in ${sgdOut.length} of ${m.cells.length - adamCells.length} cells`;
  if (fresh >= 1e-12) {
    return {
      verdict: "does not hold",
      reason: `Even a fresh optimizer moves (${sig(fresh)}·w): the setup is not at a minimum.`,
      deciding: { label: "a fresh optimizer's largest excursion / w", value: fresh, threshold: "< 1e-12" },
    };
  }
  // None thrown out: does not hold; some: holds only when (the lr condition); all: holds.
  const deciding = {
    label: "share of carried-over Adam cells thrown over the ridge",
    value: adamCells.length > 0 ? out.length / adamCells.length : 0,
    threshold: "> 0 (holds only when), = 1 (holds)",
  };
  if (out.length === 0) {
    return {
      verdict: "does not hold",
      reason: `Carried-over Adam moves at most ${sig(maxExc)}·w from the bottom and always returns to it (fresh: 0); ${sgdText}.`,
      deciding,
    };
  }
  if (out.length === adamCells.length) {
    return {
      verdict: "holds",
      reason: `Carried-over Adam leaves the valley in every cell (up to ${sig(maxExc)}·w; fresh: 0); ${sgdText}.`,
      deciding,
    };
  }
  const minLr = Math.min(...out.map((c) => c.lr));
  return {
    verdict: `holds only when the lr is large against the valley (lr ≥ ${minLr}·w here)`,
    reason:
      `Carried-over Adam is thrown over the ridge in ${out.length} of ${adamCells.length} cells, from lr = ${minLr} (its carried step lr·m̂/√v̂ ≈ lr lasts ~1/(1−β1) = 10 steps); ` +
      `below that it moves up to ${sig(Math.max(...adamCells.filter((c) => !out.includes(c)).map((c) => c.excursion)))}·w and returns; a fresh optimizer does not move; ${sgdText}.`,
    deciding,
  };
}

function simulate(name: Name, lr: number, slopeSteps: number, horizon: number, carry: boolean) {
  const params = { x: new Float64Array([0]) };
  const tx = MAKE[name](lr);
  const opt = createOptimizer(tx, params, { kernel: "reference" });
  if (carry) for (let t = 0; t < slopeSteps; t++) opt.step({ x: new Float64Array([SLOPE]) });
  params.x[0] = 0; // dropped at the new valley's bottom, state kept
  const path = [0];
  for (let t = 0; t < horizon; t++) {
    const x = params.x[0]!;
    opt.step({ x: new Float64Array([((A * Math.PI) / W) * Math.sin((Math.PI * x) / W)]) });
    path.push(params.x[0]!);
  }
  const last = path[path.length - 1]!;
  const valley = Math.round(last / (2 * W)) || 0; // never −0 (JSON would turn it into 0)
  const bottom = valley * 2 * W;
  let k = path.length - 1;
  while (k >= 0 && Math.abs(path[k]! - bottom) < SETTLE) k--;
  return {
    path,
    excursion: Math.max(...path.map(Math.abs)) / W,
    valley,
    settle: k === path.length - 1 ? null : k + 1,
  };
}

export const experiment: Experiment = {
  id: "momentum-overshoot",
  title: "Momentum carried into a new task",
  claim:
    "An Adam optimizer that trained for a long time on a simple slope carries large momentum; switched to a new task and placed at the bottom of a U-shaped valley, it can be thrown completely out of the minimum to the other side, possibly stopping at a local maximum — while a simple optimizer would stay put.",
  problemIds: ["495552"],
  cost: 0.6,
  fullCost: 2.5,
  deterministic: true,
  async run(ctx: Context): Promise<ExperimentResult> {
    const sizes = {
      smoke: { horizon: 200, ns: [10, 100] },
      quick: { horizon: 3000, ns: NS },
      full: { horizon: 10000, ns: [...NS, 10000] },
    }[ctx.mode];
    const cells: OvershootCell[] = [];
    const names: Name[] = ["adam", "sgd-momentum"];
    let done = 0;
    for (const name of names) {
      for (const slopeSteps of sizes.ns) {
        for (const lr of LRS) {
          const carried = simulate(name, lr, slopeSteps, sizes.horizon, true);
          const fresh = simulate(name, lr, slopeSteps, sizes.horizon, false);
          cells.push({
            optimizer: name,
            lr,
            slopeSteps,
            excursion: carried.excursion,
            finalValley: carried.valley,
            settleSteps: carried.settle,
            freshExcursion: fresh.excursion,
          });
          ctx.progress(++done / (names.length * sizes.ns.length * LRS.length));
        }
      }
    }
    const judgement = judgeMomentumOvershoot({ cells });
    const nMax = Math.max(...sizes.ns);
    const showLr = 0.1;
    const show = (n: Name, carry: boolean) =>
      simulate(n, showLr, nMax, Math.min(sizes.horizon, 300), carry).path;
    const ts = Array.from({ length: Math.min(sizes.horizon, 300) + 1 }, (_, t) => t);
    const grid = (n: Name, f: (c: OvershootCell) => number | null) =>
      sizes.ns.map((N) =>
        LRS.map((lr) => f(cells.find((c) => c.optimizer === n && c.lr === lr && c.slopeSteps === N)!)),
      );
    const main = cells.find((c) => c.optimizer === "adam" && c.lr === showLr && c.slopeSteps === nMax)!;
    const adamCells = cells.filter((c) => c.optimizer === "adam");
    const adamExc = adamCells.map((c) => c.excursion);
    const escaped = adamCells.filter((c) => c.finalValley !== 0 || c.excursion >= 1).map((c) => c.lr);
    const escapeLr = escaped.length > 0 ? Math.min(...escaped) : null;
    const freshMax = Math.max(...cells.map((c) => c.freshExcursion));
    return {
      setup:
        `${ctx.mode} mode, deterministic (no randomness): 1-D slope f₁ = x for N ∈ {${sizes.ns.join(", ")}} steps, then the valley f₂ = (w/π)(1 − cos(πx/w)), w = ${W}, started at its bottom x = 0 with the optimizer state carried over, ${sizes.horizon} steps; ` +
        `Adam (betas 0.9/0.999) and SGD (momentum 0.9) at lr ∈ {${LRS.join(", ")}}; each against a fresh optimizer started at x = 0. Settled = within ${SETTLE} of its final valley's bottom for good.`,
      metrics: {
        cells: cells.map((c) => ({
          optimizer: c.optimizer,
          lr: c.lr,
          slopeSteps: c.slopeSteps,
          maxExcursionOverW: sig(c.excursion),
          finalValley: c.finalValley,
          settleSteps: c.settleSteps,
          freshMaxExcursion: c.freshExcursion,
        })),
        note: "settleSteps is null when it had not settled within the horizon",
      },
      keyNumber:
        escapeLr === null
          ? `Adam never leaves the valley (max ${sig(Math.max(...adamExc), 2)}·w); fresh: ${sig(freshMax, 2)}·w`
          : `Adam thrown over the ridge in ${escaped.length} of ${adamCells.length} cells, from lr = ${escapeLr}·w (at lr ${showLr}: ${sig(main.excursion, 2)}·w); fresh: ${sig(freshMax, 2)}·w`,
      judgement,
      figures: [
        {
          title: `Dropped at the bottom with the old momentum (lr ${showLr}, after ${nMax} slope steps)`,
          caption:
            "Position after the switch. The valley's ridges are at ±w (dashed); the fresh optimizers never leave x = 0. Adam coasts about 1/(1−β1) steps of size ≈ lr on its old momentum; SGD's velocity is ≈ s/(1−μ) = 10× the gradient, so it flies much further.",
          spec: lines({
            x: { label: "steps after the switch" },
            y: { label: "x" },
            series: [
              { name: "Adam, carried state", x: ts, y: show("adam", true) },
              { name: "SGD momentum, carried state", x: ts, y: show("sgd-momentum", true) },
              { name: "fresh (both)", x: ts, y: show("adam", false) },
            ],
            rules: [
              { y: W, label: "ridge +w" },
              { y: -W, label: "ridge −w" },
            ],
          }),
        },
        ...names.map((n) => ({
          title: `${n}: how far the old momentum throws it`,
          caption: `Max |x|/w after the switch for ${n}, over lr (columns) and the length of the slope phase (rows). ≥ 1 means it crossed a ridge into another valley.`,
          spec: heatmap({
            x: { label: "lr", values: LRS },
            y: { label: "slope steps N", values: sizes.ns },
            z: grid(n, (c) => c.excursion),
            zLabel: "max |x| / w",
          }),
        })),
      ],
      seeds: [],
    };
  },
};
