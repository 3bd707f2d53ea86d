/**
 * plateau — on a nearly flat plateau (a flexible molecule's potential energy surface) GD crawls,
 * because its step is lr·|∇f| and |∇f| is tiny; momentum accumulates the small, persistent pushes
 * (heavy ball: up to 1/(1 − β) times the GD step) and crosses.
 *
 * Two landscapes: the Lab's plateau (a shelf of slope 10⁻³ around a basin) and a two-dihedral
 * torsion PES (src/lab/problems/torsion.ts) whose forces fall to 10⁻⁴…10⁻² over most of the
 * torus. "Crossed" = in the basin, below half the drop from the flat part to the minimum, and still
 * there 20 steps later — an lr that flies through the basin and out again has not crossed. Each
 * optimizer runs at its best lr from a √2-spaced grid (mean steps over several starts on the flat part).
 */

import type { Landscape } from "@momenta/landscapes";
import { plateau } from "@momenta/landscapes";
import type { GradientTransformation } from "momenta-optim";
import { adam, rng, sgd } from "momenta-optim";
import type { Experiment, ExperimentResult, Judgement, TuningGrid } from "../experiment.ts";
import { seedsFor } from "../experiment.ts";
import { median, sig } from "../measure/stats.ts";
import { bars, landscapeMap } from "../plot/index.ts";
import { bestLr, geometricGrid, raceGrid } from "../problems/landscape-race.ts";
import { torsionPes } from "../problems/torsion.ts";

const OPTIMIZERS: {
  name: string;
  beta: number | null;
  make(lr: number): GradientTransformation<unknown[]>;
}[] = [
  { name: "GD", beta: 0, make: (lr) => sgd({ lr }) },
  { name: "Momentum 0.9", beta: 0.9, make: (lr) => sgd({ lr, momentum: 0.9 }) },
  { name: "Momentum 0.99", beta: 0.99, make: (lr) => sgd({ lr, momentum: 0.99 }) },
  { name: "Adam", beta: null, make: (lr) => adam({ lr }) },
];

interface Sizes {
  starts: number;
  maxSteps: number;
  lrRatio: number;
}

const SIZES: Record<"smoke" | "quick" | "full", Sizes> = {
  smoke: { starts: 2, maxSteps: 6000, lrRatio: 4 },
  quick: { starts: 8, maxSteps: 60000, lrRatio: Math.SQRT2 },
  full: { starts: 32, maxSteps: 200000, lrRatio: 2 ** 0.25 },
};

/** Starts on the flat part: the landscape's own start first, then seeded random ones. */
function startsFor(id: "plateau" | "torsion", landscape: Landscape, seeds: number[]): [number, number][] {
  return seeds.map((seed, i) => {
    if (i === 0) return [landscape.start[0], landscape.start[1]];
    const u = rng(seed);
    if (id === "plateau") {
      // On the shelf (r ≥ 4.5 where |∇f| ≈ 10⁻³), left half of the window.
      const r = 5.5 + 2 * u();
      const a = Math.PI / 2 + Math.PI * u();
      return [r * Math.cos(a), r * Math.sin(a)];
    }
    // Both torsions in the flat band |θ| ∈ [0.75π, 0.95π], random signs.
    const t = () => (u() < 0.5 ? -1 : 1) * Math.PI * (0.75 + 0.2 * u());
    return [t(), t()];
  });
}

export interface PlateauRow {
  landscape: string;
  optimizer: string;
  lr: number | null;
  /** Mean steps to cross over the starts; null when some start did not cross within maxSteps. */
  steps: number | null;
  /** Median over the flat part of |Δp| / (lr·|∇f|): 1 for GD, up to 1/(1 − β) for heavy ball. */
  amplification: number | null;
}

export interface PlateauMeasurements {
  rows: PlateauRow[];
  maxSteps: number;
}

// Thresholds, each with its reason.
/** Momentum "crosses where GD crawls" when GD needs ≥ 3× its steps: heavy ball's ideal gain is
 * 1/(1 − β) = 10× for β = 0.9; 3× is well beyond the √2 lr grid's granularity and leaves room for the
 * basin, where momentum must also come to rest, to limit its lr. */
const SPEEDUP = 3;

function stepsOr(m: PlateauMeasurements, landscape: string, optimizer: string): number {
  // Not crossing within maxSteps counts as maxSteps: it understates the gap, never overstates it.
  return m.rows.find((r) => r.landscape === landscape && r.optimizer === optimizer)?.steps ?? m.maxSteps;
}

export function judgePlateau(m: PlateauMeasurements): Judgement {
  const landscapes = [...new Set(m.rows.map((r) => r.landscape))];
  const results = landscapes.map((l) => {
    const gd = stepsOr(m, l, "GD");
    const mom = stepsOr(m, l, "Momentum 0.9");
    const ad = stepsOr(m, l, "Adam");
    const amp =
      m.rows.find((r) => r.landscape === l && r.optimizer === "Momentum 0.9")?.amplification ?? null;
    return { l, gd, mom, ad, amp, speedup: gd / mom };
  });
  const reason = results
    .map(
      (r) =>
        `${r.l}: GD ${sig(r.gd, 3)} steps, momentum 0.9 ${sig(r.mom, 3)} (${sig(r.speedup, 2)}× fewer; its steps ` +
        `${r.amp === null ? "—" : sig(r.amp, 2)}× GD's for the same gradient, ideal 10×), Adam ${sig(r.ad, 3)}`,
    )
    .join("; ");
  const ok = results.filter((r) => r.speedup >= SPEEDUP);
  const tail = ` (momentum must need ≤ 1/${SPEEDUP} of GD's steps, each at its best lr).`;
  // The harder landscape decides; a 0-step crossing (or no landscape at all) would make it non-finite.
  const worst = Math.min(...results.map((r) => r.speedup));
  const deciding = {
    label: "GD/momentum-0.9 steps to cross, the smallest over the landscapes (capped at 1e6)",
    value: Number.isNaN(worst) ? 0 : Math.min(worst, 1e6),
    threshold: `≥ ${SPEEDUP} on every landscape`,
  };
  if (ok.length === results.length) return { verdict: "holds", reason: reason + tail, deciding };
  if (ok.length > 0) {
    const bad = results.filter((r) => r.speedup < SPEEDUP);
    return {
      verdict: `holds only when crossing the ${ok.map((r) => r.l).join(" and the ")}, not the ${bad.map((r) => r.l).join(" and the ")}`,
      reason: reason + tail,
      deciding,
    };
  }
  return { verdict: "does not hold", reason: reason + tail, deciding };
}

export const experiment: Experiment = {
  id: "plateau",
  title: "Crossing a plateau",
  claim:
    "On a nearly flat plateau, such as the potential energy surface of a long flexible molecule, the gradient " +
    "almost vanishes and gradient descent crawls; momentum accumulates the small but persistent gradients, " +
    "accelerates and crosses the plateau where plain gradient descent gets stuck.",
  problemIds: ["1370847", "3154068"],
  cost: 10,
  fullCost: 93.8,
  async run(ctx): Promise<ExperimentResult> {
    const tuning: TuningGrid[] = [];
    const sz = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, sz.starts);
    const lrs = geometricGrid(2 ** -6, 16, sz.lrRatio);
    const problems = [
      { id: "plateau" as const, landscape: plateau() },
      { id: "torsion" as const, landscape: torsionPes() },
    ];
    const rows: PlateauRow[] = [];
    const maps: { landscape: Landscape; paths: { name: string; xs: number[]; ys: number[] }[] }[] = [];
    let done = 0;
    for (const p of problems) {
      const L = p.landscape;
      const fmin = L.minima[0]!.value;
      // "Crossed": below half the drop from the flat part (f at the landscape's own start; every start
      // lies on the flat part, within 0.01 of it) to the minimum.
      const level = fmin + 0.5 * (L.value(L.start[0], L.start[1]) - fmin);
      const starts = startsFor(p.id, L, seeds);
      const paths: { name: string; xs: number[]; ys: number[] }[] = [];
      for (const o of OPTIMIZERS) {
        const best = bestLr(L, o.make, lrs, starts, {
          maxSteps: sz.maxSteps,
          done: (_x, _y, f) => f <= level,
          hold: 20,
          record: true,
        });
        {
          const g = raceGrid(`${L.name}: ${o.name}`, best);
          if (g) tuning.push(g);
        }
        const crossed = best.results.length === starts.length && best.results.every((r) => r.steps !== null);
        let amplification: number | null = null;
        if (crossed && best.lr !== null) {
          const ratios: number[] = [];
          const g = new Float64Array(2);
          for (const r of best.results) {
            // The flat part: the first half of the steps before arriving.
            const n = Math.max(2, Math.floor(r.steps! / 2));
            for (let t = 1; t < n && t < r.xs!.length; t++) {
              L.gradient(r.xs![t - 1]!, r.ys![t - 1]!, g);
              const step = Math.hypot(r.xs![t]! - r.xs![t - 1]!, r.ys![t]! - r.ys![t - 1]!);
              ratios.push(step / (best.lr * Math.hypot(g[0]!, g[1]!)));
            }
          }
          amplification = ratios.length > 0 ? median(ratios) : null;
        }
        rows.push({
          landscape: L.name,
          optimizer: o.name,
          lr: best.lr,
          steps: crossed ? best.steps : null,
          amplification,
        });
        if (best.results[0]?.xs) {
          const r = best.results[0];
          paths.push({ name: `${o.name} (lr ${sig(best.lr!, 3)})`, xs: r.xs!, ys: r.ys! });
        }
        done++;
        ctx.progress(done / (problems.length * OPTIMIZERS.length), `${L.name} ${o.name}`);
      }
      maps.push({ landscape: L, paths });
    }
    const measurements: PlateauMeasurements = { rows, maxSteps: sz.maxSteps };
    const judgement = judgePlateau(measurements);
    const row = (l: string, o: string) => rows.find((r) => r.landscape === l && r.optimizer === o)!;
    const key = problems
      .map((p) => {
        const gd = row(p.landscape.name, "GD").steps ?? sz.maxSteps;
        const mom = row(p.landscape.name, "Momentum 0.9").steps ?? sz.maxSteps;
        return `${p.id}: GD/momentum ${sig(gd / mom, 2)}×`;
      })
      .join(", ");
    return {
      setup:
        `Plateau (shelf slope 1e-3 around a basin of depth 0.5) and a two-dihedral torsion PES ` +
        `V = −cos⁶(φ/2) − cos⁶(ψ/2) + 1e-3·(1 − cos(φ−ψ)). ${sz.starts} starts on the flat part of each ` +
        `(the landscape's own start + seeded random ones). GD, SGD momentum 0.9 and 0.99, Adam (PyTorch ` +
        `defaults), each at its best lr from ${lrs.length} values ${sig(lrs[0]!, 3)}…${sig(lrs.at(-1)!, 3)}, ` +
        `best = fewest mean steps to cross (below half the drop from the flat part to the minimum, held 20 steps), at most ` +
        `${sz.maxSteps} steps per run (${ctx.mode} mode).`,
      metrics: {
        rows: rows.map((r) => ({
          ...r,
          lr: r.lr === null ? null : sig(r.lr, 4),
          steps: r.steps === null ? null : sig(r.steps, 5),
          amplification: r.amplification === null ? null : sig(r.amplification, 3),
        })),
        maxSteps: sz.maxSteps,
      },
      keyNumber: key,
      judgement,
      figures: [
        ...maps.map((m) => ({
          title: `Paths on ${m.landscape.name}`,
          caption:
            "From the landscape's own start, each optimizer at its best lr (dots mark every step's position " +
            "only implicitly: a long straight line means big steps). GD's path is the same line as momentum's, " +
            "but it needs many more steps to cover it; Adam's steps ignore how small the gradient is.",
          spec: landscapeMap({ title: m.landscape.name, landscape: m.landscape, paths: m.paths }),
        })),
        {
          title: "Steps to cross",
          caption:
            `Mean steps to cross and stay in the basin over ${sz.starts} starts, each optimizer at its best lr (log scale; ` +
            "a missing bar = some start never crossed).",
          spec: bars({
            title: "Steps to cross the flat region",
            categoryLabel: "landscape",
            y: { label: "mean steps to cross", log: true },
            bars: rows
              .filter((r) => r.steps !== null)
              .map((r) => ({ category: r.landscape, group: r.optimizer, value: r.steps! })),
          }),
        },
      ],
      tables: [
        {
          caption:
            "Best lr, mean steps to cross, and the step amplification on the flat part: median |Δp|/(lr·|∇f|) — " +
            "1 for GD, up to 1/(1 − β) for heavy-ball momentum once it has built up speed, 1/|∇f|-like for Adam.",
          columns: ["landscape", "optimizer", "best lr", "steps", "amplification"],
          rows: rows.map((r) => [
            r.landscape,
            r.optimizer,
            r.lr === null ? "—" : sig(r.lr, 3),
            r.steps === null ? `> ${sz.maxSteps}` : sig(r.steps, 4),
            r.amplification === null ? "—" : sig(r.amplification, 3),
          ]),
        },
      ],
      grids: tuning,
      seeds,
    };
  },
};
