/**
 * flat-minima — high momentum can rush past a narrow valley it is "too fast" to turn into, and settle
 * in a wider, flatter basin instead.
 *
 * Landscape: sharpWide (a sharp basin of curvature ≈ 47 at (−1.5, 0), 5 % deeper than a wide one of
 * curvature ≈ 1 at (1.4, 0), on a gentle bowl). Random starts uniform over the window, heavy-ball SGD
 * (PyTorch's `momentum`) with β ∈ {0, 0.5, 0.9, 0.99}, no noise, run until the iterate stops moving.
 * The share of starts ending in the wide basin is measured two ways, because heavy ball's effective step
 * is lr/(1 − β): at a fixed lr (what raising `momentum` in PyTorch does: more inertia and a longer
 * stride) and at a matched effective lr (lr·(1 − β) fed to the optimizer: inertia alone). Both lrs are
 * stable in the sharp basin even for GD (lr·47 < 2), so no start is thrown out by instability alone.
 *
 * The flatness reference: SAM (`sam(sgd({ lr }), { rho })`, the optimizer built to seek flat minima),
 * from the same starts at the same lrs, ρ on the sharp basin's scale (its width is 0.15). It is
 * reported beside momentum, not judged: the claim is about momentum, and SAM shows how far an
 * optimizer that looks for flatness on purpose moves the same starts.
 */

import { makeRunner, sharpWide } from "@momenta/landscapes";
import { type AnyTransformation, sam, sgd } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { bootstrapCi, mean, sig } from "../measure/stats.ts";
import { bars, landscapeMap, lines } from "../plot/index.ts";
import { uniformStarts } from "../problems/basin-hopping.ts";

const BETAS = [0, 0.5, 0.9, 0.99];
/**
 * SAM's radii: the sharp basin's width and twice it. Measured on 100 starts at lr 0.01, of the 11
 * GD leaves in the sharp basin: ρ 0.05 moved none, 0.1 two, 0.2 four, 0.3 seven; at ρ 0.5 none
 * stayed, but 13 of the 100 stalled on the sharp basin's rim, where its perturbed gradient balances.
 */
const RHOS = [0.15, 0.3];

interface Sizes {
  starts: number;
  lrs: number[];
  /** The lrs SAM runs at (a SAM run costs two gradients a step and settles later: 3–6 GD runs). */
  samLrs: number[];
  /** SAM runs from the first this many starts (paired with GD's runs from the same starts). */
  samStarts: number;
  maxSteps: number;
  /** SAM's step cap: a start it stalls on (on the sharp basin's rim) never settles. */
  samMaxSteps: number;
}

const SIZES: Record<"smoke" | "quick" | "full", Sizes> = {
  smoke: { starts: 24, lrs: [0.03], samLrs: [0.03], samStarts: 24, maxSteps: 4000, samMaxSteps: 4000 },
  quick: {
    starts: 200,
    lrs: [0.01, 0.03],
    samLrs: [0.03],
    samStarts: 200,
    maxSteps: 20000,
    samMaxSteps: 20000,
  },
  // SAM from 500 starts: at 1,000 with 50,000-step caps its two arms would cost more than the 32 others.
  full: {
    starts: 1000,
    lrs: [0.005, 0.01, 0.02, 0.03],
    samLrs: [0.03],
    samStarts: 500,
    maxSteps: 50000,
    samMaxSteps: 20000,
  },
};

type Basin = "sharp" | "wide" | "neither";

export interface FlatMinimaArm {
  /** "fixed" lr or "matched" effective lr lr/(1 − β). */
  variant: "fixed" | "matched";
  lr: number;
  beta: number;
  /** 1 when start i ended in the wide basin (paired across β by start). */
  wide: number[];
  sharp: number;
  neither: number;
}

export interface FlatMinimaMeasurements {
  arms: FlatMinimaArm[];
}

/** SAM from the same starts (the flatness reference, reported beside the momentum arms). */
export interface SamArm {
  lr: number;
  rho: number;
  /** 1 when start i ended in the wide basin (paired with GD at the same lr). */
  wide: number[];
  sharp: number;
  neither: number;
}

// Thresholds, each with its reason.
/** A shift smaller than 1 % of random starts is practically nothing, whatever its interval says. */
const MIN_SHIFT = 0.01;

export interface Shift {
  variant: "fixed" | "matched";
  lr: number;
  beta: number;
  /** Paired mean of wide(β) − wide(0) over starts, with a 95 % bootstrap interval. */
  estimate: number;
  lo: number;
  hi: number;
}

/** The paired increase in the wide share over β = 0, for every arm with β > 0. */
export function shifts(m: FlatMinimaMeasurements): Shift[] {
  const out: Shift[] = [];
  for (const arm of m.arms) {
    if (arm.beta === 0) continue;
    const base = m.arms.find((a) => a.variant === arm.variant && a.lr === arm.lr && a.beta === 0);
    if (!base) continue;
    const d = arm.wide.map((w, i) => w - base.wide[i]!);
    const ci = bootstrapCi(d, { seed: 1, resamples: 1000 });
    out.push({
      variant: arm.variant,
      lr: arm.lr,
      beta: arm.beta,
      estimate: ci.estimate,
      lo: ci.lo,
      hi: ci.hi,
    });
  }
  return out;
}

const significant = (s: Shift) => s.lo > 0 && s.estimate >= MIN_SHIFT;

/** The 95 % lower bound, capped at 0 when the shift is under MIN_SHIFT: > 0 exactly when significant. */
const margin = (s: Shift) => (s.estimate >= MIN_SHIFT ? s.lo : Math.min(s.lo, 0));

/** The variant's best arm by that margin, in pp (0 when the variant was not measured). */
function decidingFor(all: Shift[], variant: "fixed" | "matched") {
  const ms = all.filter((s) => s.variant === variant).map(margin);
  return {
    label: `wide-share gain over β = 0 at ${variant === "fixed" ? "fixed lr" : "matched effective lr"}: 95 % lower bound, best arm (pp; ≤ 0 if the gain < ${100 * MIN_SHIFT} pp or unmeasured)`,
    value: ms.length > 0 ? 100 * Math.max(...ms) : 0,
    threshold: `> 0 (gain ≥ ${100 * MIN_SHIFT} pp with its interval above 0)`,
  };
}

export function judgeFlatMinima(m: FlatMinimaMeasurements): Judgement {
  const all = shifts(m);
  const best = (variant: "fixed" | "matched") =>
    all
      .filter((s) => s.variant === variant)
      .reduce<Shift | null>((a, b) => (a && a.estimate >= b.estimate ? a : b), null);
  const fmt = (s: Shift | null) =>
    s === null
      ? "not measured"
      : `${sig(100 * s.estimate, 2)} pp [${sig(100 * s.lo, 2)}, ${sig(100 * s.hi, 2)}] at β = ${s.beta}, lr ${s.lr}`;
  const fixed = all.filter((s) => s.variant === "fixed" && significant(s));
  const matched = all.filter((s) => s.variant === "matched" && significant(s));
  const top = best("fixed");
  const moved = (() => {
    if (!top) return "";
    const arm = m.arms.find((a) => a.variant === "fixed" && a.lr === top.lr && a.beta === top.beta)!;
    const base = m.arms.find((a) => a.variant === "fixed" && a.lr === top.lr && a.beta === 0)!;
    return ` (GD ends ${base.sharp} starts in the sharp basin, β = ${top.beta} only ${arm.sharp})`;
  })();
  const reason =
    `Largest increase of the share of starts ending in the wide basin over β = 0: fixed lr ${fmt(top)}${moved}; ` +
    `matched effective lr ${fmt(best("matched"))} (paired over starts, 95 % bootstrap; counts when the interval ` +
    `is above 0 and the shift ≥ ${100 * MIN_SHIFT} pp).`;
  // Once the fixed-lr shift is significant (it is, by far, in practice) the matched one decides; else
  // the fixed one does (in "does not hold", it is the one a stronger momentum effect would show first).
  if (fixed.length > 0) {
    const deciding = decidingFor(all, "matched");
    if (matched.length > 0) return { verdict: "holds", reason, deciding };
    return {
      verdict: "holds only when momentum also lengthens the step (fixed lr), not at a matched effective lr",
      reason,
      deciding,
    };
  }
  const deciding = decidingFor(all, "fixed");
  if (matched.length > 0)
    return { verdict: "holds only when the effective lr lr/(1 − β) is held fixed", reason, deciding };
  return { verdict: "does not hold", reason, deciding };
}

export const experiment: Experiment = {
  id: "flat-minima",
  title: "Momentum and flat minima",
  claim:
    "High momentum can make the optimizer rush past a narrow valley — it is too fast to make the sharp turn " +
    "into it — and roll on until it settles in a wider, flatter basin.",
  problemIds: ["3154068"],
  cost: 23,
  fullCost: 176,
  async run(ctx): Promise<ExperimentResult> {
    const sz = SIZES[ctx.mode];
    const [seed] = seedsFor(ctx, 1) as [number];
    const L = sharpWide();
    const [x0, x1, y0, y1] = L.bounds;
    const starts = uniformStarts(L, sz.starts, seed);
    const sharpMin = L.minima[0]!.point;
    const wideMin = L.minima[1]!.point;
    const classify = (x: number, y: number): Basin =>
      Math.hypot(x - sharpMin[0], y - sharpMin[1]) < 0.1
        ? "sharp"
        : Math.hypot(x - wideMin[0], y - wideMin[1]) < 0.3
          ? "wide"
          : "neither";
    /**
     * Runs until the iterate has not moved by 1e-6 for 20 steps (settled) or maxSteps. SAM never
     * settles on a point: its ascent has length ρ however small the gradient, so near a minimum it
     * ends on a two-step cycle around it — for SAM, returning within 1e-6 of the point two steps
     * back counts as not moving too.
     */
    const settle = (
      tx: AnyTransformation,
      start: readonly [number, number],
      record = false,
      maxSteps = sz.maxSteps,
    ) => {
      const r = makeRunner(L, tx, { start });
      const cycles = tx.updateWithClosure !== undefined;
      let [x, y] = start;
      let [px, py] = [Number.NaN, Number.NaN];
      let quiet = 0;
      const xs = [x];
      const ys = [y];
      for (let t = 0; t < maxSteps && quiet <= 20; t++) {
        const [nx, ny] = r.step();
        const still = Math.hypot(nx - x, ny - y) < 1e-6 || (cycles && Math.hypot(nx - px, ny - py) < 1e-6);
        quiet = still ? quiet + 1 : 0;
        [px, py] = [x, y];
        x = nx;
        y = ny;
        if (record) {
          xs.push(x);
          ys.push(y);
        }
      }
      return { basin: classify(x, y), xs, ys };
    };
    const heavyBall = (lr: number, beta: number) => sgd({ lr, momentum: beta });
    const arms: FlatMinimaArm[] = [];
    /** Each arm's end basin per start, by the arm's index (for SAM's comparison on its subset of starts). */
    const endsOf = new Map<number, Basin[]>();
    const total = 2 * sz.lrs.length * BETAS.length + sz.samLrs.length * RHOS.length;
    for (const variant of ["fixed", "matched"] as const) {
      for (const lr of sz.lrs) {
        for (const beta of BETAS) {
          const stepLr = variant === "fixed" ? lr : lr * (1 - beta);
          const ends = starts.map((s) => settle(heavyBall(stepLr, beta), s).basin);
          endsOf.set(arms.length, ends);
          arms.push({
            variant,
            lr,
            beta,
            wide: ends.map((b) => (b === "wide" ? 1 : 0)),
            sharp: ends.filter((b) => b === "sharp").length,
            neither: ends.filter((b) => b === "neither").length,
          });
          ctx.progress(arms.length / total, `${variant} lr ${lr} β ${beta}`);
        }
      }
    }
    const samArms: SamArm[] = [];
    /** Each SAM arm's end basin per start (for the figure). */
    const samEnds: Basin[][] = [];
    for (const lr of sz.samLrs) {
      for (const rho of RHOS) {
        const ends = starts
          .slice(0, sz.samStarts)
          .map((s) => settle(sam(sgd({ lr }), { rho }), s, false, sz.samMaxSteps).basin);
        samEnds.push(ends);
        samArms.push({
          lr,
          rho,
          wide: ends.map((b) => (b === "wide" ? 1 : 0)),
          sharp: ends.filter((b) => b === "sharp").length,
          neither: ends.filter((b) => b === "neither").length,
        });
        ctx.progress((arms.length + samArms.length) / total, `SAM lr ${lr} ρ ${rho}`);
      }
    }
    /** SAM's wide share over GD's at the same lr, paired over starts (95 % bootstrap). */
    const samShift = (a: SamArm) => {
      const gd = arms.find((b) => b.variant === "fixed" && b.lr === a.lr && b.beta === 0)!;
      return bootstrapCi(
        a.wide.map((w, i) => w - gd.wide[i]!),
        { seed: 1, resamples: 1000 },
      );
    };
    const measurements: FlatMinimaMeasurements = { arms };
    const judgement = judgeFlatMinima(measurements);
    const allShifts = shifts(measurements);

    // Figure 1: wide share vs 1/(1 − β), with bootstrap bands.
    const series = [];
    for (const variant of ["fixed", "matched"] as const) {
      for (const lr of sz.lrs) {
        const rows = arms.filter((a) => a.variant === variant && a.lr === lr);
        const cis = rows.map((a) => bootstrapCi(a.wide, { seed: 2, resamples: 1000 }));
        series.push({
          name: `${variant === "fixed" ? "fixed lr" : "matched lr/(1−β)"} ${lr}`,
          x: rows.map((a) => 1 / (1 - a.beta)),
          y: cis.map((c) => c.estimate),
          lo: cis.map((c) => c.lo),
          hi: cis.map((c) => c.hi),
        });
      }
    }
    // Figure 2: a start that GD leaves in the sharp basin, under each β at the largest fixed lr.
    const lrShow = sz.lrs.at(-1)!;
    const gdArm = arms.find((a) => a.variant === "fixed" && a.lr === lrShow && a.beta === 0)!;
    const hiArm = arms.find((a) => a.variant === "fixed" && a.lr === lrShow && a.beta === BETAS.at(-1))!;
    let showIdx = starts.findIndex((_, i) => gdArm.wide[i] === 0 && hiArm.wide[i] === 1);
    if (showIdx < 0) showIdx = starts.findIndex((_, i) => gdArm.wide[i] === 0);
    if (showIdx < 0) showIdx = 0;
    const paths = BETAS.map((beta) => {
      const r = settle(heavyBall(lrShow, beta), starts[showIdx]!, true);
      const n = Math.min(r.xs.length, 3000);
      return { name: `β = ${beta} → ${r.basin}`, xs: r.xs.slice(0, n), ys: r.ys.slice(0, n) };
    });
    const gdSharp = gdArm.sharp;
    // Each variant's arm nearest to significance (the judge's margin; ties, e.g. all at 0, by the
    // larger shift), shown with its interval.
    const keyArm = (variant: "fixed" | "matched") =>
      allShifts
        .filter((s) => s.variant === variant)
        .reduce((a, b) =>
          margin(a) > margin(b) || (margin(a) === margin(b) && a.estimate >= b.estimate) ? a : b,
        );
    const keyShift = keyArm("fixed");
    const keyMatched = keyArm("matched");
    const ci = (s: Shift) => `[${sig(100 * s.lo, 2)}, ${sig(100 * s.hi, 2)}]`;
    const samKey = samArms.find((a) => a.lr === sz.samLrs.at(-1) && a.rho === RHOS.at(-1))!;
    const gdKey = arms.find((a) => a.variant === "fixed" && a.lr === samKey.lr && a.beta === 0)!;
    return {
      setup:
        `sharpWide landscape (sharp basin curvature ≈ 47, wide ≈ 1). ${sz.starts} starts uniform over ` +
        `[${x0}, ${x1}]×[${y0}, ${y1}] (seed ${seed}), heavy-ball SGD with β ∈ {${BETAS.join(", ")}}, no noise, at ` +
        `lr ∈ {${sz.lrs.join(", ")}} both fixed (PyTorch sgd(lr, momentum = β)) and matched (sgd(lr·(1−β), ` +
        `momentum = β): the same effective lr), each run until the iterate moved < 1e-6 for 20 steps or ` +
        `${sz.maxSteps} steps; end basin = within 0.1 of the sharp or 0.3 of the wide minimum (${ctx.mode} mode). ` +
        `Flatness reference, not judged: SAM (sam(sgd(lr), ρ)) with ρ ∈ {${RHOS.join(", ")}} at lr ∈ ` +
        `{${sz.samLrs.join(", ")}} from the first ${sz.samStarts} starts (at most ${sz.samMaxSteps} steps), settled when it also returns within 1e-6 of the point ` +
        `two steps back (its ascent keeps length ρ, so it ends on a two-step cycle).`,
      metrics: {
        arms: arms.map((a) => ({
          variant: a.variant,
          lr: a.lr,
          beta: a.beta,
          wideShare: sig(mean(a.wide), 4),
          sharp: a.sharp,
          neither: a.neither,
        })),
        shiftsOverGd: allShifts.map((s) => ({
          variant: s.variant,
          lr: s.lr,
          beta: s.beta,
          estimate: sig(s.estimate, 3),
          lo: sig(s.lo, 3),
          hi: sig(s.hi, 3),
        })),
        gdSharpStarts: gdSharp,
        sam: samArms.map((a) => {
          const d = samShift(a);
          return {
            lr: a.lr,
            rho: a.rho,
            wideShare: sig(mean(a.wide), 4),
            sharp: a.sharp,
            neither: a.neither,
            wideShiftOverGd: { estimate: sig(d.estimate, 3), lo: sig(d.lo, 3), hi: sig(d.hi, 3) },
          };
        }),
      },
      keyNumber:
        `wide share +${sig(100 * keyShift.estimate, 2)} pp ${ci(keyShift)} at β=${keyShift.beta} (fixed lr ${keyShift.lr}), ` +
        `+${sig(100 * keyMatched.estimate, 2)} pp ${ci(keyMatched)} at matched effective lr; ` +
        `reference SAM ρ ${samKey.rho} (lr ${samKey.lr}): wide share ${sig(100 * mean(samKey.wide), 3)} % vs GD's ${sig(100 * mean(gdKey.wide.slice(0, sz.samStarts)), 3)} % from the same ${sz.samStarts} starts, ${samKey.sharp} vs ${
          endsOf
            .get(arms.indexOf(gdKey))!
            .slice(0, sz.samStarts)
            .filter((b) => b === "sharp").length
        } in the sharp basin`,
      judgement,
      figures: [
        {
          title: "Share of random starts ending in the wide basin",
          caption:
            "x = 1/(1 − β), the heavy ball's step multiplier (1, 2, 10, 100). Fixed-lr curves rise only at the " +
            "highest β, when the ball is both heavier and faster; at a matched effective lr the share barely " +
            "moves — inertia alone rarely skips the sharp basin. Bands: 95 % bootstrap over starts.",
          spec: lines({
            title: "Wide-basin share vs momentum",
            x: { label: "1/(1 − β)", log: true },
            y: { label: "share ending in the wide basin" },
            series,
          }),
        },
        {
          title: "The flatness reference: where SAM's starts end",
          caption:
            `The first ${sz.samStarts} starts at lr ${sz.samLrs.at(-1)}: where GD (β = 0) and SAM, at two radii ρ around the sharp ` +
            "basin's width (0.15), end. SAM keeps starts out of the sharp minimum, but those it keeps out mostly " +
            "stall on the sharp basin's rim — a point where its perturbed gradient balances, not a minimum of the " +
            "loss — rather than reach the wide basin. Bars: 95 % bootstrap over starts.",
          spec: bars({
            categoryLabel: "where the start ends",
            y: { label: "share of the starts" },
            bars: (() => {
              const lr = sz.samLrs.at(-1)!;
              const gd = arms.findIndex((a) => a.variant === "fixed" && a.lr === lr && a.beta === 0);
              const runs: [string, Basin[]][] = [
                ["GD", endsOf.get(gd)!.slice(0, sz.samStarts)],
                ...samArms.flatMap((a, k): [string, Basin[]][] =>
                  a.lr === lr ? [[`SAM ρ ${a.rho}`, samEnds[k]!]] : [],
                ),
              ];
              const where: [Basin, string][] = [
                ["wide", "wide basin"],
                ["sharp", "sharp basin"],
                ["neither", "neither (stalled)"],
              ];
              return where.flatMap(([basin, category]) =>
                runs.map(([group, ends]) => {
                  const c = bootstrapCi(
                    ends.map((b) => (b === basin ? 1 : 0)),
                    { seed: 2, resamples: 1000 },
                  );
                  return { category, group, value: c.estimate, lo: c.lo, hi: c.hi };
                }),
              );
            })(),
          }),
        },
        {
          title: "One start, four momenta",
          caption:
            `A start GD (β = 0) leaves in the sharp basin (left cross), run with each β at fixed lr ${lrShow}: ` +
            "watch whether the heavier ball turns into the narrow basin or overshoots it and rolls on to the wide one.",
          spec: landscapeMap({ title: L.name, landscape: L, paths }),
        },
      ],
      seeds: [seed],
    };
  },
};
