import { checkBoolean, checkNumber, type Schedule, showValue } from "../hyper.js";
import { type BaseSchedule, checkLr, checkPositiveInteger, scheduleOptions, withBase } from "./base.js";

/** Options of `oneCycleLr`: `OneCycleLR`'s. */
export interface OneCycleLrOptions {
  /** The peak learning rate, ≥ 0. Required. */
  maxLr: number;
  /** The run's length in updates, an integer ≥ 1. Give it, or both epochs and stepsPerEpoch. */
  totalSteps?: number;
  /** Epochs (an integer ≥ 1): with stepsPerEpoch, the length is their product. */
  epochs?: number;
  /** Updates per epoch (an integer ≥ 1), with `epochs`. */
  stepsPerEpoch?: number;
  /** The fraction of the run spent raising lr, in [0, 1]. Default 0.3. */
  pctStart?: number;
  /** The shape of each phase: "cos" or "linear". Default "cos". */
  annealStrategy?: "cos" | "linear";
  /** Also return a momentum schedule moving inversely to lr. Default true. */
  cycleMomentum?: boolean;
  /** The momentum at the peak lr, in [0, 1). Default 0.85. */
  baseMomentum?: number;
  /** The momentum at the start and the end, in [0, 1). Default 0.95. */
  maxMomentum?: number;
  /** The initial lr is maxLr/divFactor (> 0). Default 25. */
  divFactor?: number;
  /** The final lr is the initial lr/finalDivFactor (> 0). Default 1e4. */
  finalDivFactor?: number;
  /** Three phases: up, back down to the initial lr, then down to the final lr. Default false. */
  threePhase?: boolean;
}

/** What `oneCycleLr` returns: the lr schedule, and the momentum schedule that goes with it. */
export interface OneCycleSchedules {
  /** The learning rate (its base is maxLr). */
  lr: BaseSchedule;
  /** Absent when cycleMomentum is false. Feed it to `momentum` or `betas[0]`. */
  momentum?: Schedule;
}

interface Phase {
  end: number;
  lr: [number, number];
  momentum: [number, number];
}

/**
 * `OneCycleLR` (Smith & Topin): lr warms from maxLr/divFactor to maxLr over pctStart of the run,
 * then anneals to maxLr/(divFactor·finalDivFactor) (threePhase: back to the start value first);
 * momentum moves the opposite way. Counts past totalSteps throw, as PyTorch does.
 * Defaults: pctStart 0.3, cos, momentum 0.85…0.95, divFactor 25, finalDivFactor 1e4.
 */
export function oneCycleLr(options: OneCycleLrOptions): OneCycleSchedules {
  const owner = "oneCycleLr";
  const o = scheduleOptions(
    owner,
    options,
    [
      "maxLr",
      "totalSteps",
      "epochs",
      "stepsPerEpoch",
      "pctStart",
      "annealStrategy",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
      "divFactor",
      "finalDivFactor",
      "threePhase",
    ],
    ["maxLr"],
  );
  const maxLr = checkLr(owner, o.maxLr, "maxLr");
  let total: number;
  if (o.totalSteps !== undefined) total = checkPositiveInteger(owner, "totalSteps", o.totalSteps);
  else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
    total =
      checkPositiveInteger(owner, "epochs", o.epochs) *
      checkPositiveInteger(owner, "stepsPerEpoch", o.stepsPerEpoch);
  } else throw new TypeError(`${owner}: give totalSteps, or both epochs and stepsPerEpoch`);
  const pct = checkNumber(owner, "pctStart", o.pctStart ?? 0.3, "[0, 1]");
  const strategy = o.annealStrategy ?? "cos";
  if (strategy !== "cos" && strategy !== "linear") {
    throw new RangeError(`${owner}: annealStrategy must be "cos" or "linear", got ${showValue(strategy)}`);
  }
  const cycleMomentum = checkBoolean(owner, "cycleMomentum", o.cycleMomentum ?? true);
  const baseM = checkNumber(owner, "baseMomentum", o.baseMomentum ?? 0.85, "[0, 1)");
  const maxM = checkNumber(owner, "maxMomentum", o.maxMomentum ?? 0.95, "[0, 1)");
  const div = checkNumber(owner, "divFactor", o.divFactor ?? 25, "(0, inf)");
  const finalDiv = checkNumber(owner, "finalDivFactor", o.finalDivFactor ?? 1e4, "(0, inf)");
  const threePhase = checkBoolean(owner, "threePhase", o.threePhase ?? false);

  const initial = maxLr / div;
  const min = initial / finalDiv;
  const phases: Phase[] = threePhase
    ? [
        { end: pct * total - 1, lr: [initial, maxLr], momentum: [maxM, baseM] },
        { end: 2 * pct * total - 2, lr: [maxLr, initial], momentum: [baseM, maxM] },
        { end: total - 1, lr: [initial, min], momentum: [maxM, maxM] },
      ]
    : [
        { end: pct * total - 1, lr: [initial, maxLr], momentum: [maxM, baseM] },
        { end: total - 1, lr: [maxLr, min], momentum: [baseM, maxM] },
      ];
  const anneal =
    strategy === "cos"
      ? (start: number, end: number, p: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * p) + 1)
      : (start: number, end: number, p: number) => (end - start) * p + start;
  const at = (t: number, pick: (ph: Phase) => [number, number]) => {
    if (t > total) {
      throw new RangeError(`${owner}: count ${t} is past totalSteps ${total} (PyTorch raises here too)`);
    }
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const ph = phases[i]!;
      if (t <= ph.end || i === phases.length - 1) {
        const [a, b] = pick(ph);
        return anneal(a, b, (t - start) / (ph.end - start));
      }
      start = ph.end;
    }
    throw new Error("unreachable");
  };
  const lr = withBase((t) => at(t, (ph) => ph.lr), maxLr);
  return cycleMomentum ? { lr, momentum: (t) => at(t, (ph) => ph.momentum) } : { lr };
}
