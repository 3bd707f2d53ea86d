/**
 * Vanishing gradients: in a deep narrow sigmoid MLP on MNIST, how much does each layer move per step
 * under plain SGD and under Adam? Adam divides each coordinate's momentum by the root of its own
 * squared-gradient average, so a layer whose gradients are all s times smaller gets the same step —
 * the claim is that its early layers therefore still learn while SGD's barely move.
 */
import { adam, sgd } from "momenta-optim";
import { type Experiment, type ExperimentResult, type Mode, seedsFor } from "../experiment.ts";
import { mean, seedBand, sig } from "../measure/stats.ts";
import { lines } from "../plot/index.ts";
import { deepNarrowSpec, type LayerTrace, traceLayers } from "../problems/deep-narrow.ts";
import { digitTensors, disposeDigits, labBackend, mnistSplit } from "../problems/mnist.ts";

const SIZES: Record<Mode, { train: number; steps: number; depth: number; width: number; seeds: number }> = {
  smoke: { train: 200, steps: 4, depth: 4, width: 16, seeds: 1 },
  quick: { train: 2000, steps: 120, depth: 10, width: 32, seeds: 2 },
  full: { train: 4000, steps: 400, depth: 10, width: 32, seeds: 2 },
};
const BATCH = 64;
/** Customary learning rates: 0.1 for plain SGD on an MNIST MLP, PyTorch's default 1e-3 for Adam. */
const SGD_LR = 0.1;
const ADAM_LR = 1e-3;
const ADAM_EPS = 1e-8;

export interface VanishingMeasurements {
  /** log10(max/min) over layers of the relative gradient ‖g‖/‖W‖ (the SGD run's): how strongly gradients vanish. */
  gradSpread: number;
  /** log10(max/min) over layers of the mean relative update ‖ΔW‖/‖W‖, per optimizer. */
  sgdSpread: number;
  adamSpread: number;
  /** First layer's rms nonzero gradient entry in the Adam run (vs Adam's ε = 1e-8). */
  adamFirstRms: number;
  /** Mean minibatch loss over the last 10 steps, per optimizer (chance level: ln 10 ≈ 2.303). */
  sgdLoss: number;
  adamLoss: number;
}

function spread(values: readonly number[]): number {
  return Math.log10(Math.max(...values) / Math.min(...values));
}

/**
 * Holds when the gradients really vanish (≥ 1 decade between layers; else the setup does not test the
 * claim) and Adam's per-layer relative updates stay within one decade of each other — the size
 * differences that remain come from ‖W‖ and from how coherent m̂/√v̂ is, not from the gradient scale —
 * and at most half of SGD's spread (in decades). When Adam narrows SGD's spread by at least half but
 * not to within a decade, the claim holds only in that relative sense; otherwise it does not hold.
 * If Adam's first-layer gradients are below 10·ε, ε rather than √v̂ sets the step there, which the
 * reason names.
 */
export function judgeVanishing(m: VanishingMeasurements): ExperimentResult["judgement"] {
  const loss = `; final loss SGD ${sig(m.sgdLoss, 3)}, Adam ${sig(m.adamLoss, 3)} (chance 2.303)`;
  const nums = `relative updates span ${sig(m.sgdSpread, 2)} decades across layers under SGD and ${sig(m.adamSpread, 2)} under Adam, while the relative gradients span ${sig(m.gradSpread, 2)}`;
  const epsNote =
    m.adamFirstRms < 10 * ADAM_EPS
      ? `; the first layer's rms gradient ${sig(m.adamFirstRms, 2)} is within 10× of ε = 1e-8, so ε damps its step${loss}`
      : loss;
  // A spread is infinite (or NaN) only when some layer did not move at all or training blew up.
  const finite = (x: number) => (Number.isFinite(x) ? x : 99);
  if (m.gradSpread < 1) {
    return {
      verdict: "holds only when the gradients actually vanish",
      reason: `Here they do not: ${nums} (< 1 decade), so the setup does not separate the optimizers${epsNote}.`,
      deciding: {
        label: "spread of the relative gradients across layers (decades)",
        value: m.gradSpread,
        threshold: "≥ 1 for the setup to test the claim",
      },
    };
  }
  // Adam's spread against 1 decade decides in practice (SGD's half is ~3 decades).
  const deciding = {
    label: "spread of Adam's relative updates across layers (decades; non-finite: 99)",
    value: finite(m.adamSpread),
    threshold: "≤ 1, and ≤ half SGD's spread",
  };
  if (m.adamSpread <= 1 && m.adamSpread <= m.sgdSpread / 2) {
    return {
      verdict: "holds",
      reason: `${nums}: Adam keeps every layer within 10× of the others${epsNote}.`,
      deciding,
    };
  }
  if (m.adamSpread <= m.sgdSpread / 2) {
    return {
      verdict:
        "holds only when compared with SGD: Adam narrows the gap between layers but does not remove it",
      reason: `${nums}: more than the 1 decade that "largely immune" allows${epsNote}.`,
      deciding,
    };
  }
  return {
    verdict: "does not hold",
    reason: `${nums}: Adam does not halve SGD's spread${epsNote}.`,
    deciding,
  };
}

export const experiment: Experiment = {
  id: "vanishing-grad",
  title: "Vanishing gradients: per-layer steps",
  claim:
    "Adam is largely immune to layer-wise gradient scale: when the early layers of a deep network get exponentially smaller gradients, the scale cancels between Adam's numerator and denominator, so those layers still learn while SGD's crawl.",
  problemIds: ["3194490"],
  cost: 4.4,
  fullCost: 14.7,
  async run(ctx) {
    const size = SIZES[ctx.mode];
    const seeds = seedsFor(ctx, size.seeds);
    const backend = await labBackend();
    const split = mnistSplit(size.train, 100);
    const train = digitTensors(split.train);
    const traces: Record<"SGD" | "Adam", LayerTrace[]> = { SGD: [], Adam: [] };
    try {
      seeds.forEach((seed, s) => {
        const spec = deepNarrowSpec({ depth: size.depth, width: size.width, activation: "sigmoid", seed });
        const o = { steps: size.steps, batchSize: BATCH, seed: seed + 7 };
        traces.SGD.push(traceLayers(spec, sgd({ lr: SGD_LR }), train, o));
        ctx.progress((2 * s + 1) / (2 * seeds.length), `seed ${seed}: SGD`);
        traces.Adam.push(traceLayers(spec, adam({ lr: ADAM_LR, eps: ADAM_EPS }), train, o));
        ctx.progress((2 * s + 2) / (2 * seeds.length), `seed ${seed}: Adam`);
      });
    } finally {
      disposeDigits(train);
    }
    const layers = size.depth + 1;
    const layerIdx = Array.from({ length: layers }, (_, l) => l + 1);
    const avg = (ts: LayerTrace[], key: "relUpdate" | "relGrad" | "gradNorm" | "gradRms" | "movement") =>
      layerIdx.map((_, l) => mean(ts.map((t) => t[key][l]!)));
    const perOpt = (name: "SGD" | "Adam") => ({
      relUpdate: avg(traces[name], "relUpdate").map((v) => sig(v, 4)),
      relGrad: avg(traces[name], "relGrad").map((v) => sig(v, 4)),
      gradNorm: avg(traces[name], "gradNorm").map((v) => sig(v, 4)),
      gradRms: avg(traces[name], "gradRms").map((v) => sig(v, 4)),
      movement: avg(traces[name], "movement").map((v) => sig(v, 4)),
      finalLoss: sig(mean(traces[name].map((t) => mean(t.losses.slice(-Math.min(10, t.losses.length))))), 4),
    });
    const sgdM = perOpt("SGD");
    const adamM = perOpt("Adam");
    const m: VanishingMeasurements = {
      gradSpread: spread(avg(traces.SGD, "relGrad")),
      sgdSpread: spread(avg(traces.SGD, "relUpdate")),
      adamSpread: spread(avg(traces.Adam, "relUpdate")),
      adamFirstRms: avg(traces.Adam, "gradRms")[0]!,
      sgdLoss: sgdM.finalLoss,
      adamLoss: adamM.finalLoss,
    };
    const judgement = judgeVanishing(m);
    const figure = (name: "SGD" | "Adam") => {
      const band = (key: "relUpdate" | "relGrad") =>
        seedBand(
          traces[name].map((t) => t[key]),
          0,
        );
      const u = band("relUpdate");
      const g = band("relGrad");
      return {
        title: `${name}: relative step per layer`,
        caption: `Layer 1 is next to the input, layer ${layers} the output. The relative gradient ‖g‖/‖W‖ falls toward the input (vanishing gradients); the relative update ‖ΔW‖/‖W‖ ${name === "SGD" ? "follows it down (SGD's step is lr·g)" : "is what Adam's normalization makes of it"}. Bands: min–max over seeds.`,
        spec: lines({
          x: { label: "layer (1 = input side)" },
          y: { label: "per step, mean over steps", log: true },
          series: [
            { name: "‖ΔW‖/‖W‖ (relative update)", x: layerIdx, y: u.mean, lo: u.lo, hi: u.hi },
            { name: "‖g‖/‖W‖ (relative gradient)", x: layerIdx, y: g.mean, lo: g.lo, hi: g.hi },
          ],
        }),
      };
    };
    const lossBand = (name: "SGD" | "Adam") => {
      const b = seedBand(
        traces[name].map((t) => t.losses),
        0,
      );
      return { name, x: b.mean.map((_, i) => i + 1), y: b.mean, lo: b.lo, hi: b.hi };
    };
    return {
      setup: `${ctx.mode} mode on TF.js's ${backend} backend: MLP 784 → ${size.width} × ${size.depth} sigmoid → 10 (Glorot-uniform init, seeded), ${size.train} MNIST training digits, ${size.steps} minibatches of ${BATCH}, cross-entropy. SGD (lr ${SGD_LR}, no momentum) and Adam (lr ${ADAM_LR}, betas (0.9, 0.999), ε ${ADAM_EPS}) from the same initial weights and batch order; per layer and step ‖g‖, ‖ΔW‖/‖W‖, averaged over the steps; ${seeds.length} seed${seeds.length > 1 ? "s" : ""}.`,
      metrics: {
        gradSpreadDecades: sig(m.gradSpread, 3),
        sgdSpreadDecades: sig(m.sgdSpread, 3),
        adamSpreadDecades: sig(m.adamSpread, 3),
        adamFirstLayerGradRms: sig(m.adamFirstRms, 3),
        sgd: sgdM,
        adam: adamM,
      },
      keyNumber: `update spread across ${layers} layers: SGD ${sig(m.sgdSpread, 2)} decades, Adam ${sig(m.adamSpread, 2)}`,
      judgement,
      figures: [
        figure("SGD"),
        figure("Adam"),
        {
          title: "Training loss",
          caption:
            "Minibatch cross-entropy per step (band: min–max over seeds): does moving the early layers translate into learning?",
          spec: lines({
            x: { label: "step" },
            y: { label: "minibatch loss" },
            series: [lossBand("SGD"), lossBand("Adam")],
          }),
        },
      ],
      tables: [
        {
          caption:
            "Per layer (mean over steps and seeds): relative update per step and total movement ‖W_end − W_0‖/‖W_0‖.",
          columns: ["layer", "‖g‖ SGD run", "‖ΔW‖/‖W‖ SGD", "‖ΔW‖/‖W‖ Adam", "movement SGD", "movement Adam"],
          rows: layerIdx.map((l, i) => [
            l,
            sig(sgdM.gradNorm[i]!, 3),
            sig(sgdM.relUpdate[i]!, 3),
            sig(adamM.relUpdate[i]!, 3),
            sig(sgdM.movement[i]!, 3),
            sig(adamM.movement[i]!, 3),
          ]),
        },
      ],
      seeds,
    };
  },
};
